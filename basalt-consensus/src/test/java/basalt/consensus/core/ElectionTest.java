package basalt.consensus.core;

import static basalt.consensus.core.Cores.CONFIG;
import static basalt.consensus.core.Cores.N1;
import static basalt.consensus.core.Cores.N2;
import static basalt.consensus.core.Cores.N3;
import static basalt.consensus.core.Cores.receive;
import static basalt.consensus.core.Cores.sent;
import static org.assertj.core.api.Assertions.assertThat;

import basalt.consensus.core.Message.PreVoteRequest;
import basalt.consensus.core.Message.PreVoteResponse;
import basalt.consensus.core.Message.VoteRequest;
import basalt.consensus.core.Message.VoteResponse;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Votes, pre-votes and the term rules, one rule per case. */
class ElectionTest {
    private static final RaftConfig NO_LEASE = new RaftConfig(10, 1, 1 << 20, 64, true, false);

    record TermCase(String rule, Supplier<RaftCore> before, Message message, String roleAfter, long termAfter) {
        @Override
        public String toString() {
            return rule;
        }
    }

    // Reference: section 3.3 (5.1 in the paper): a higher term makes any role a follower at that term; a
    // lower term is answered with ours and otherwise ignored.
    static Stream<TermCase> termRules() {
        return Stream.of(
                new TermCase("higher term makes a leader step down", () -> Cores.leader(NO_LEASE, 1),
                        new Message.AppendResponse(N2, N1, 5, false, 0, 1, 0, 0, 0), "follower", 5),
                new TermCase("higher term makes a candidate step down", ElectionTest::candidateAtTerm2,
                        new VoteResponse(N2, N1, 7, false), "follower", 7),
                new TermCase("an append of a higher term is followed", () -> Cores.follower(1),
                        Cores.append(3, OpId.ZERO, List.of(), 0), "follower", 3),
                new TermCase("a stale append is ignored by a follower", () -> Cores.follower(4),
                        Cores.append(3, OpId.ZERO, List.of(), 0), "follower", 4),
                new TermCase("a stale vote response does not elect a candidate", ElectionTest::candidateAtTerm2,
                        new VoteResponse(N2, N1, 1, true), "candidate", 2),
                new TermCase("a pre-vote request never raises the receiver's term", () -> Cores.follower(1),
                        new PreVoteRequest(N2, N1, 6, 7, new OpId(6, 9)), "follower", 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("termRules")
    void termRule(TermCase c) {
        RaftCore core = c.before().get();
        core.step(receive(c.message()));
        assertThat(core.role().name()).isEqualTo(c.roleAfter());
        assertThat(core.term()).isEqualTo(c.termAfter());
    }

    // Reference: section 3.3: a stale request is answered with the current term so the sender steps down.
    @Test
    void staleRequestIsAnsweredWithOurTerm() {
        RaftCore core = Cores.follower(4);
        Ready ready = core.step(receive(new VoteRequest(N2, N1, 3, new OpId(3, 9), false)));
        assertThat(sent(ready)).containsExactly(new VoteResponse(N1, N2, 4, false));
    }

    record UpToDateCase(String rule, long[] voterLog, OpId candidateLast, boolean granted) {
        @Override
        public String toString() {
            return rule;
        }
    }

    // Reference: section 3.6.1: grant only to a candidate whose log is at least as up to date: compare the
    // last terms, and only on equal terms the last indexes.
    static Stream<UpToDateCase> upToDate() {
        return Stream.of(
                new UpToDateCase("empty logs are equally up to date", new long[] {}, OpId.ZERO, true),
                new UpToDateCase("higher last term wins despite a shorter log", new long[] {1, 1, 1}, new OpId(2, 2), true),
                new UpToDateCase("lower last term loses despite a longer log", new long[] {1, 2}, new OpId(1, 9), false),
                new UpToDateCase("same last term, longer log wins", new long[] {1, 2}, new OpId(2, 3), true),
                new UpToDateCase("same last term, same length is enough", new long[] {1, 2}, new OpId(2, 2), true),
                new UpToDateCase("same last term, shorter log loses", new long[] {1, 2, 2}, new OpId(2, 2), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("upToDate")
    void voteOnlyForAnUpToDateLog(UpToDateCase c) {
        RaftCore core = Cores.follower(NO_LEASE, 2, Optional.empty(), 0, c.voterLog());
        Ready ready = core.step(receive(new VoteRequest(N2, N1, 3, c.candidateLast(), false)));
        assertThat(sent(ready)).containsExactly(new VoteResponse(N1, N2, 3, c.granted()));
        assertThat(core.votedFor()).isEqualTo(c.granted() ? Optional.of(N2) : Optional.empty());

        RaftCore preVoter = Cores.follower(NO_LEASE, 2, Optional.empty(), 0, c.voterLog());
        Ready preReady = preVoter.step(receive(new PreVoteRequest(N2, N1, 2, 3, c.candidateLast())));
        assertThat(sent(preReady)).as("pre-votes apply the same check (section 9.6)")
                .containsExactly(new PreVoteResponse(N1, N2, 2, 3, c.granted()));
    }

    // Reference: section 3.4: at most one vote per term, first come first served; the same candidate may
    // ask again (its request may have been lost), and the grant leaves only once durable (section 3.8).
    @Test
    void voteOncePerTerm() {
        RaftCore core = Cores.follower(NO_LEASE, 1, Optional.empty(), 0);
        Ready first = core.step(receive(new VoteRequest(N2, N1, 2, OpId.ZERO, false)));
        assertThat(first.sendNow()).isEmpty();
        assertThat(first.sendAfterDurable()).containsExactly(new VoteResponse(N1, N2, 2, true));
        assertThat(first.hardState()).map(HardState::votedFor).contains(Optional.of(N2));

        Ready other = core.step(receive(new VoteRequest(N3, N1, 2, OpId.ZERO, false)));
        assertThat(sent(other)).containsExactly(new VoteResponse(N1, N3, 2, false));

        Ready again = core.step(receive(new VoteRequest(N2, N1, 2, OpId.ZERO, false)));
        assertThat(sent(again)).containsExactly(new VoteResponse(N1, N2, 2, true));

        Ready nextTerm = core.step(receive(new VoteRequest(N3, N1, 3, OpId.ZERO, false)));
        assertThat(sent(nextTerm)).as("a new term forgets the vote").containsExactly(new VoteResponse(N1, N3, 3, true));
    }

    // Reference: section 9.6: a pre-vote changes nothing on the voter, neither its term nor its vote.
    @Test
    void preVoteChangesNothing() {
        RaftCore core = Cores.follower(NO_LEASE, 1, Optional.of(N3), 0);
        Ready ready = core.step(receive(new PreVoteRequest(N2, N1, 1, 2, OpId.ZERO)));
        assertThat(sent(ready)).containsExactly(new PreVoteResponse(N1, N2, 1, 2, true));
        assertThat(ready.hardState()).isEmpty();
        assertThat(core.term()).isEqualTo(1);
        assertThat(core.votedFor()).contains(N3);
    }

    // Reference: section 4.2.3: a replica that hears a live leader refuses pre-votes and ignores votes.
    @Test
    void leaderStickinessWhileInLease() {
        RaftCore core = Cores.follower(CONFIG, 1, Optional.empty(), 0);
        core.step(receive(Cores.append(1, OpId.ZERO, List.of(), 0)));
        Ready pre = core.step(receive(new PreVoteRequest(N3, N1, 1, 2, new OpId(1, 5))));
        assertThat(sent(pre)).containsExactly(new PreVoteResponse(N1, N3, 1, 2, false));
        Ready vote = core.step(receive(new VoteRequest(N3, N1, 2, new OpId(1, 5), false)));
        assertThat(sent(vote)).isEmpty();
        assertThat(core.term()).isEqualTo(1);
        Ready transfer = core.step(receive(new VoteRequest(N3, N1, 2, new OpId(1, 5), true)));
        assertThat(transfer.sendAfterDurable()).as("a leadership transfer overrides the lease (section 3.10)")
                .containsExactly(new VoteResponse(N1, N3, 2, true));
    }

    // Reference: section 3.4: a candidate that hears from a majority of voters wins; a majority of refusals loses.
    @Test
    void candidateCountsVotesOfAMajority() {
        RaftCore winner = candidateAtTerm2();
        winner.step(receive(new VoteResponse(N2, N1, 2, true)));
        assertThat(winner.isLeader()).isTrue();

        RaftCore loser = candidateAtTerm2();
        loser.step(receive(new VoteResponse(N2, N1, 2, false)));
        assertThat(loser.role().name()).isEqualTo("candidate");
        loser.step(receive(new VoteResponse(N2, N1, 2, true)));
        assertThat(loser.role().name()).as("a voter's first answer counts").isEqualTo("candidate");
        loser.step(receive(new VoteResponse(N3, N1, 2, false)));
        assertThat(loser.role().name()).isEqualTo("follower");
    }

    private static RaftCore candidateAtTerm2() {
        RaftCore core = Cores.follower(NO_LEASE, 1, Optional.empty(), 0);
        core.step(new Input.TransferLeadership(N1)); // not a leader: only an event
        core.step(receive(new Message.TimeoutNow(N2, N1, 1)));
        assertThat(core.role().name()).isEqualTo("candidate");
        assertThat(core.term()).isEqualTo(2);
        return core;
    }
}
