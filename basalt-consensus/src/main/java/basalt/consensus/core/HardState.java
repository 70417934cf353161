package basalt.consensus.core;

import basalt.common.check.Check;
import java.util.Optional;

/**
 * What a replica persists in its consensus metadata before it answers a vote or an append: the current
 * term, whom it voted for in that term, and the newest committed membership (kept here because the
 * entry that carried it may be garbage-collected from the WAL).
 */
public record HardState(long term, Optional<NodeId> votedFor, ConfigAt committedConfig) {
    public HardState {
        Check.arg(term >= 0, "term %s must not be negative", term);
        Check.arg(votedFor != null && committedConfig != null, "hard state fields must not be null");
    }

    /** The state of a brand new replica of a group bootstrapped with {@code membership}. */
    public static HardState initial(Membership membership) {
        return new HardState(0, Optional.empty(), new ConfigAt(0, membership));
    }
}
