package basalt.consensus.core;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/** Builds cores in a chosen state for the table-driven tests: n1 is the core under test, n2 and n3 peers. */
final class Cores {
    static final NodeId N1 = NodeId.of("n1");
    static final NodeId N2 = NodeId.of("n2");
    static final NodeId N3 = NodeId.of("n3");
    static final Membership THREE = Membership.ofVoters(N1, N2, N3);
    static final RaftConfig CONFIG = RaftConfig.DEFAULT;

    private Cores() {}

    /** Entries at indexes 1.. with the given terms. */
    static List<Entry> entries(long... terms) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            entries.add(new Entry(new OpId(terms[i], i + 1), EntryType.NORMAL, ByteString.copyFromUtf8("e" + (i + 1))));
        }
        return entries;
    }

    /** A follower of {@link #THREE} at {@code term} holding entries of {@code logTerms}, committed up to {@code commit}. */
    static RaftCore follower(RaftConfig config, long term, Optional<NodeId> votedFor, long commit, long... logTerms) {
        MemoryRaftLog log = new MemoryRaftLog();
        log.append(entries(logTerms));
        return new RaftCore(N1, config, log, new HardState(term, votedFor, new ConfigAt(0, THREE)), commit,
                new SplittableRandom(1));
    }

    static RaftCore follower(long term, long... logTerms) {
        return follower(CONFIG, term, Optional.empty(), 0, logTerms);
    }

    /**
     * n1 elected leader at {@code term + 1} over a log of {@code logTerms}, with its no-op durable; peers
     * have not answered any append yet.
     */
    static RaftCore leader(RaftConfig config, long term, long... logTerms) {
        RaftCore core = follower(config, term, Optional.empty(), 0, logTerms);
        for (int i = 0; i < 100 && core.role() instanceof Role.Follower; i++) {
            core.step(new Input.Tick());
        }
        long proposed = core.term() + 1;
        core.step(receive(new Message.PreVoteResponse(N2, N1, core.term(), proposed, true)));
        core.step(receive(new Message.VoteResponse(N2, N1, core.term(), true)));
        if (!core.isLeader()) {
            throw new IllegalStateException("not elected: " + core);
        }
        core.step(new Input.LogDurable(core.log().lastOpId()));
        return core;
    }

    static Input receive(Message message) {
        return new Input.Receive(message);
    }

    static Message.AppendRequest append(long term, OpId prev, List<Entry> entries, long leaderCommit) {
        return new Message.AppendRequest(N2, N1, term, prev, entries, leaderCommit);
    }

    /** Every message the Ready sends, now or after durability. */
    static List<Message> sent(Ready ready) {
        List<Message> all = new ArrayList<>(ready.sendNow());
        all.addAll(ready.sendAfterDurable());
        return all;
    }

    static <T extends Message> List<T> sent(Ready ready, Class<T> type) {
        return sent(ready).stream().filter(type::isInstance).map(type::cast).toList();
    }

    static Message.AppendResponse onlyAppendResponse(Ready ready) {
        List<Message.AppendResponse> responses = sent(ready, Message.AppendResponse.class);
        if (responses.size() != 1) {
            throw new AssertionError("expected one AppendResponse in " + ready);
        }
        return responses.get(0);
    }
}
