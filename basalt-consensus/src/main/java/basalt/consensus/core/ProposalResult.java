package basalt.consensus.core;

import java.util.Optional;

/**
 * The answer to a proposal or a membership change: either the OpId of its first entry (the others follow
 * at consecutive indexes) or why it was refused, with a leader hint when this replica knows the leader.
 */
public record ProposalResult(Optional<OpId> firstOpId, int entryCount, Optional<NodeId> leaderHint, String refusal) {
    public static ProposalResult accepted(OpId firstOpId, int entryCount) {
        return new ProposalResult(Optional.of(firstOpId), entryCount, Optional.empty(), "");
    }

    public static ProposalResult refused(Optional<NodeId> leaderHint, String why) {
        return new ProposalResult(Optional.empty(), 0, leaderHint, why);
    }

    public boolean isAccepted() {
        return firstOpId.isPresent();
    }
}
