package basalt.consensus.driver;

import basalt.consensus.core.Entry;
import basalt.consensus.core.OpId;
import com.google.protobuf.ByteString;

/**
 * What a Raft group replicates into: a tablet, or the masters' catalog. The driver calls it from the
 * group's own thread only, with committed entries in log order (NO_OP and CONFIG entries included, so
 * the state machine can track where it stands).
 */
public interface StateMachine {
    /** Applies one committed entry and returns the operation's result for whoever proposed it (or null). */
    Object apply(Entry entry);

    /** The last entry applied (or installed by a tablet copy). */
    OpId lastApplied();

    /**
     * Every entry at or below this index is reflected in state that survives a crash. The WAL keeps
     * everything after it (the state machine's anchor) and bootstrap replays from there.
     */
    long durableIndex();

    /** The state as of {@link #lastApplied()}, for a tablet copy to a peer. */
    ByteString snapshot();

    /** Replaces the whole state with a tablet copy's; afterwards {@link #lastApplied()} is {@code lastIncluded}. */
    void install(ByteString snapshot, OpId lastIncluded);
}
