package basalt.consensus.driver;

import basalt.consensus.core.NodeId;
import java.util.Optional;

/**
 * A proposal that will certainly not be applied: this replica is not the leader (with a hint of who is,
 * when known), the entry lost to another leader's entry at its index, or the group is overloaded or closed.
 * Callers may retry elsewhere without risk of a double apply.
 */
public final class ProposalRefusedException extends RuntimeException {
    private final Optional<NodeId> leaderHint;

    public ProposalRefusedException(String why, Optional<NodeId> leaderHint) {
        super(why);
        this.leaderHint = leaderHint;
    }

    public Optional<NodeId> leaderHint() {
        return leaderHint;
    }
}
