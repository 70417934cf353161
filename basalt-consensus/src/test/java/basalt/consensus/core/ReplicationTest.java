package basalt.consensus.core;

import static basalt.consensus.core.Cores.N1;
import static basalt.consensus.core.Cores.N2;
import static basalt.consensus.core.Cores.N3;
import static basalt.consensus.core.Cores.receive;
import static basalt.consensus.core.Cores.sent;
import static org.assertj.core.api.Assertions.assertThat;

import basalt.consensus.core.Message.AppendRequest;
import basalt.consensus.core.Message.AppendResponse;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The leader's side of appends. */
class ReplicationTest {
    private static final RaftConfig NO_LEASE = new RaftConfig(10, 1, 1 << 20, 64, true, false);

    // Reference: section 3.6.2 (Figure 3.7): a leader commits only entries of its own term by counting
    // replicas; entries of earlier terms commit with them.
    @Test
    void commitOnlyOwnTermEntries() {
        RaftCore core = Cores.leader(NO_LEASE, 1, 1, 1);          // log 1.1 1.2, no-op 2.3
        assertThat(core.log().lastOpId()).isEqualTo(new OpId(2, 3));
        core.step(receive(AppendResponse.accepted(N2, N1, 2, 2)));
        core.step(receive(AppendResponse.accepted(N3, N1, 2, 2)));
        assertThat(core.commitIndex()).as("1.2 is on every replica but of term 1").isZero();
        core.step(receive(AppendResponse.accepted(N2, N1, 2, 3)));
        assertThat(core.commitIndex()).isEqualTo(3);
    }

    // Reference: section 3.6.2 and 3.8: the leader counts itself only for what its own WAL made durable.
    @Test
    void leaderCountsItselfOnlyWhenDurable() {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        core.step(new Input.Propose(List.of(ByteString.copyFromUtf8("a"))));
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 2)));
        assertThat(core.commitIndex()).isEqualTo(1);
        core.step(new Input.LogDurable(new OpId(1, 2)));
        assertThat(core.commitIndex()).isEqualTo(2);
    }

    record BackOffCase(String rule, AppendResponse rejection, long nextIndex) {
        @Override
        public String toString() {
            return rule;
        }
    }

    // Reference: section 5.3's optimization: the leader resumes from the hint, never below match + 1.
    static Stream<BackOffCase> backOff() {
        return Stream.of(
                new BackOffCase("too short: resume after the follower's last index",
                        new AppendResponse(N2, N1, 2, false, 0, 6, 2, 0, 0), 3),
                new BackOffCase("conflicting term: resume at its first index",
                        new AppendResponse(N2, N1, 2, false, 0, 6, 6, 1, 3), 3),
                new BackOffCase("a hint above the rejected index moves back by one at least",
                        new AppendResponse(N2, N1, 2, false, 0, 6, 9, 0, 0), 6));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backOff")
    void backOffUsesTheHint(BackOffCase c) {
        RaftCore core = Cores.leader(NO_LEASE, 1, 1, 1, 1, 1, 1, 1);  // no-op 2.7, probes from prev 6
        core.step(receive(c.rejection()));
        Progress progress = ((Role.Leader) core.role()).progress().get(N2);
        assertThat(progress.nextIndex()).isEqualTo(c.nextIndex());
    }

    // Reference: section 5.3 / etcd's MaybeDecrTo: in PROBE, a rejection that does not answer the current
    // probe (a duplicate, or one answering an earlier probe) is stale and must not move nextIndex back.
    @Test
    void staleRejectionInProbeDoesNotWalkBack() {
        RaftCore core = Cores.leader(NO_LEASE, 1, 1, 1, 1, 1, 1, 1);
        AppendResponse tooShort = new AppendResponse(N2, N1, 2, false, 0, 6, 3, 0, 0);
        core.step(receive(tooShort));
        Progress progress = ((Role.Leader) core.role()).progress().get(N2);
        assertThat(progress.nextIndex()).isEqualTo(4);
        Ready duplicate = core.step(receive(tooShort));
        assertThat(progress.nextIndex()).isEqualTo(4);
        assertThat(sent(duplicate)).isEmpty();
    }

    // Reference: etcd Inflights; STYLE section 8 "bound everything": never more than maxInflightAppends
    // unanswered appends carrying entries to one peer.
    @Test
    void inflightBoundIsRespected() {
        RaftConfig config = new RaftConfig(10, 1, 1, 2, true, false);   // one entry per append, 2 in flight
        RaftCore core = Cores.leader(config, 0);
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));   // n2 now in REPLICATE
        List<AppendRequest> toN2 = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Ready ready = core.step(new Input.Propose(List.of(ByteString.copyFromUtf8("p" + i))));
            sent(ready, AppendRequest.class).stream().filter(r -> r.to().equals(N2)).forEach(toN2::add);
        }
        assertThat(toN2).hasSize(2);
        Ready afterAck = core.step(receive(AppendResponse.accepted(N2, N1, 1, toN2.get(0).lastIndex())));
        List<AppendRequest> more = sent(afterAck, AppendRequest.class);
        assertThat(more).as("one answered, one more may go").hasSize(1);
        // Now the peer goes silent: through heartbeats and the stall restart, entries already in flight are
        // not sent again while unanswered.
        for (int tick = 0; tick < 20; tick++) {
            Ready ready = core.step(new Input.Tick());
            assertThat(sent(ready, AppendRequest.class).stream().filter(r -> r.to().equals(N2))
                    .filter(r -> !r.entries().isEmpty())).as("tick %s", tick).isEmpty();
        }
    }

    // Reference: etcd's probe state: at most one probe carrying entries is unanswered; heartbeats to a
    // silent peer in PROBE carry no entries.
    @Test
    void probeToASilentPeerIsNotResentWithEntries() {
        RaftCore core = Cores.leader(new RaftConfig(10, 1, 1 << 20, 2, true, false), 0);
        int withEntries = 0;
        for (int tick = 0; tick < 30; tick++) {
            Ready ready = core.step(new Input.Tick());
            withEntries += (int) sent(ready, AppendRequest.class).stream()
                    .filter(r -> r.to().equals(N3) && !r.entries().isEmpty()).count();
        }
        assertThat(withEntries).as("the no-op went out with the election; nothing more").isZero();
    }

    // Reference: RaftConfig.maxAppendBytes: one append's entries stay within the byte budget (a single
    // larger entry still goes alone, or it could never be sent).
    @Test
    void appendByteBudgetIsRespected() {
        long budget = 3 * (Entry.OVERHEAD_BYTES + 10);
        RaftCore core = Cores.leader(new RaftConfig(10, 1, budget, 64, true, false), 0);
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));
        List<ByteString> payloads = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            payloads.add(ByteString.copyFromUtf8("0123456789"));
        }
        payloads.add(ByteString.copyFrom(new byte[500]));
        Ready ready = core.step(new Input.Propose(payloads));
        List<AppendRequest> toN2 = sent(ready, AppendRequest.class).stream().filter(r -> r.to().equals(N2)).toList();
        long covered = 0;
        for (AppendRequest request : toN2) {
            long bytes = request.entries().stream().mapToLong(Entry::sizeBytes).sum();
            assertThat(bytes <= budget || request.entries().size() == 1).as("append %s", request).isTrue();
            covered += request.entries().size();
        }
        assertThat(covered).isEqualTo(11);
    }

    // Reference: section 6.2: a leader that heard no majority for an election timeout steps down.
    @Test
    void checkQuorumStepsDownWithoutAMajority() {
        RaftCore core = Cores.leader(RaftConfig.DEFAULT, 0);
        for (int tick = 0; tick < 2 * RaftConfig.DEFAULT.electionTimeoutTicks() && core.isLeader(); tick++) {
            core.step(new Input.Tick());
            core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));
        }
        assertThat(core.isLeader()).as("n2 answers: n1 and n2 are a majority").isTrue();
        for (int tick = 0; tick < 2 * RaftConfig.DEFAULT.electionTimeoutTicks(); tick++) {
            core.step(new Input.Tick());
        }
        assertThat(core.isLeader()).isFalse();
        assertThat(core.term()).isEqualTo(1);
    }
}
