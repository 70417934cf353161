package basalt.bench.consensus;

import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.HardState;
import basalt.consensus.core.Input;
import basalt.consensus.core.Membership;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.consensus.core.RaftConfig;
import basalt.consensus.core.RaftCore;
import basalt.consensus.core.Role;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Builds one replica of a 3-voter group (n1, n2, n3) in a realistic steady state through the core's
 * public inputs only: a history of {@link #HISTORY_ENTRIES} entries from earlier terms, then a leader
 * elected in term {@link #TERM}. Every benchmark measures {@code n1}; n2 and n3 exist only as the
 * messages they would send.
 */
final class Groups {
    static final NodeId N1 = NodeId.of("n1");
    static final NodeId N2 = NodeId.of("n2");
    static final NodeId N3 = NodeId.of("n3");
    static final Membership THREE = Membership.ofVoters(N1, N2, N3);
    /** The term the group is in while measured: a few elections have happened. */
    static final long TERM = 7;
    static final int HISTORY_ENTRIES = 1_000;
    /** Ring capacity of every benchmark log: far above what any peer or the commit index lags by. */
    static final int LOG_WINDOW = 1 << 14;

    private Groups() {}

    /** 1,000 committed entries of 100 bytes, written by the leaders of terms 1 to TERM - 1. */
    static BoundedRaftLog historyLog() {
        BoundedRaftLog log = new BoundedRaftLog(LOG_WINDOW);
        List<Entry> entries = new ArrayList<>(HISTORY_ENTRIES);
        for (int i = 1; i <= HISTORY_ENTRIES; i++) {
            long term = 1 + (long) (i - 1) * (TERM - 1) / HISTORY_ENTRIES;
            entries.add(new Entry(new OpId(term, i), EntryType.NORMAL, payload(100, i)));
        }
        log.append(entries);
        return log;
    }

    static ByteString payload(int bytes, int seed) {
        byte[] data = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            data[i] = (byte) (seed * 31 + i);
        }
        return ByteString.copyFrom(data);
    }

    /**
     * n1 as a follower of n2 in {@link #TERM}, holding and having committed the whole history, after
     * one heartbeat from n2 (so it knows its leader).
     */
    static RaftCore follower(RaftConfig config) {
        BoundedRaftLog log = historyLog();
        RaftCore core = new RaftCore(N1, config, log, new HardState(TERM, Optional.of(N2), new ConfigAt(0, THREE)),
                HISTORY_ENTRIES, new SplittableRandom(42));
        core.step(new Input.Receive(heartbeatFromN2(core)));
        check(core.role() instanceof Role.Follower follower && follower.leader().equals(Optional.of(N2)),
                "n1 should follow n2: " + core);
        return core;
    }

    /** A heartbeat from the leader n2: no entries, prev = n1's last entry, which matches. */
    static Message.AppendRequest heartbeatFromN2(RaftCore follower) {
        return new Message.AppendRequest(N2, N1, TERM, follower.log().lastOpId(), List.of(),
                follower.log().lastIndex());
    }

    /**
     * n1 as leader of {@link #TERM} (elected by pre-vote and vote from n2), with its no-op durable and
     * acknowledged by n2 and n3, so both peers are in REPLICATE and everything is committed.
     */
    static RaftCore leader(RaftConfig config) {
        BoundedRaftLog log = historyLog();
        RaftCore core = new RaftCore(N1, config, log,
                new HardState(TERM - 1, Optional.empty(), new ConfigAt(0, THREE)), HISTORY_ENTRIES,
                new SplittableRandom(42));
        for (int i = 0; i < 10 * config.electionTimeoutTicks() && core.role() instanceof Role.Follower; i++) {
            core.step(new Input.Tick());
        }
        core.step(new Input.Receive(new Message.PreVoteResponse(N2, N1, core.term(), core.term() + 1, true)));
        core.step(new Input.Receive(new Message.VoteResponse(N2, N1, core.term(), true)));
        check(core.isLeader() && core.term() == TERM, "n1 should lead term " + TERM + ": " + core);
        OpId noOp = core.log().lastOpId();
        core.step(new Input.LogDurable(noOp));
        core.step(new Input.Receive(acceptedBy(N2, noOp.index())));
        core.step(new Input.Receive(acceptedBy(N3, noOp.index())));
        check(core.commitIndex() == noOp.index(), "the no-op should be committed: " + core);
        return core;
    }

    static Message.AppendResponse acceptedBy(NodeId peer, long matchIndex) {
        return Message.AppendResponse.accepted(peer, N1, TERM, matchIndex);
    }

    static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
