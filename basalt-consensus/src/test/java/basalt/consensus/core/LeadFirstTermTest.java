package basalt.consensus.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A brand-new group whose creator recorded every voter's term-1 vote for one replica: that replica leads at once. */
class LeadFirstTermTest {
    private static final NodeId N1 = NodeId.of("n1");
    private static final NodeId N2 = NodeId.of("n2");
    private static final NodeId N3 = NodeId.of("n3");
    private static final Membership THREE = Membership.ofVoters(List.of(N1, N2, N3));

    private static RaftCore core(NodeId self, HardState state, RaftLog log) {
        return new RaftCore(self, RaftConfig.DEFAULT, log, state, 0, new SplittableRandom(7));
    }

    private static HardState preElected(NodeId leader) {
        return new HardState(1, Optional.of(leader), new ConfigAt(0, THREE));
    }

    @Test
    void thePreElectedReplicaLeadsTermOneAndAppendsItsNoOp() {
        RaftCore n1 = core(N1, preElected(N1), new MemoryRaftLog());
        Ready ready = n1.step(new Input.LeadFirstTerm());
        assertThat(n1.isLeader()).isTrue();
        assertThat(n1.term()).isEqualTo(1);
        assertThat(ready.entries()).extracting(Entry::type).containsExactly(EntryType.NO_OP);
    }

    @Test
    void aReplicaThatVotedForAnotherDoesNotLead() {
        RaftCore n2 = core(N2, preElected(N1), new MemoryRaftLog());
        n2.step(new Input.LeadFirstTerm());
        assertThat(n2.isLeader()).isFalse();
    }

    @Test
    void aReplicaWithoutThePreElectedVoteDoesNotLead() {
        RaftCore n1 = core(N1, HardState.initial(THREE), new MemoryRaftLog());
        n1.step(new Input.LeadFirstTerm());
        assertThat(n1.isLeader()).isFalse();
        assertThat(n1.term()).isZero();
    }

    @Test
    void aRestartedFirstLeaderWithEntriesInItsLogDoesNotLeadAgain() {
        MemoryRaftLog log = new MemoryRaftLog();
        log.append(List.of(new Entry(new OpId(1, 1), EntryType.NO_OP, com.google.protobuf.ByteString.EMPTY)));
        RaftCore n1 = core(N1, preElected(N1), log);
        n1.step(new Input.LeadFirstTerm());
        assertThat(n1.isLeader()).isFalse();
    }

    @Test
    void theOtherVotersRefuseToVoteForAnyoneElseInTermOne() {
        RaftCore n2 = core(N2, preElected(N1), new MemoryRaftLog());
        Ready ready = n2.step(new Input.Receive(new Message.VoteRequest(N3, N2, 1, OpId.ZERO, false)));
        assertThat(ready.sendAfterDurable().isEmpty() ? ready.sendNow() : ready.sendAfterDurable()).singleElement().satisfies(message ->
                assertThat(((Message.VoteResponse) message).granted()).isFalse());
    }
}
