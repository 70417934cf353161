package basalt.consensus.core;

import static basalt.consensus.core.Cores.N1;
import static basalt.consensus.core.Cores.N2;
import static basalt.consensus.core.Cores.N3;
import static basalt.consensus.core.Cores.receive;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.Message.AppendResponse;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Single-server membership changes (section 4.1) and learners (section 4.2.1). */
class MembershipTest {
    private static final NodeId N4 = NodeId.of("n4");
    private static final RaftConfig NO_LEASE = new RaftConfig(10, 1, 1 << 20, 64, true, false);

    // Reference: section 4.1: the membership is stored in CONFIG entries and must round-trip exactly.
    @Test
    void encodingRoundTrips() {
        Membership membership = new Membership(new TreeSet<>(List.of(N1, N2)), new TreeSet<>(List.of(N4)));
        assertThat(Membership.decode(membership.encode())).isEqualTo(membership);
        assertThat(membership.encode().toStringUtf8()).isEqualTo("voters=n1,n2;learners=n4");
        Membership empty = Membership.ofVoters(List.of());
        assertThat(Membership.decode(empty.encode())).isEqualTo(empty);
    }

    // Reference: section 4.2.1: a learner receives the log but never votes or counts toward a quorum.
    @Test
    void learnerIsNotAVoter() {
        Membership membership = Cores.THREE.withLearner(N4);
        assertThat(membership.isLearner(N4)).isTrue();
        assertThat(membership.isVoter(N4)).isFalse();
        assertThat(membership.quorum()).isEqualTo(2);
        assertThat(membership.members()).containsExactly(N1, N2, N3, N4);
        Membership promoted = membership.withVoter(N4);
        assertThat(promoted.isVoter(N4)).isTrue();
        assertThat(promoted.learners()).isEmpty();
        assertThat(promoted.quorum()).isEqualTo(3);
        assertThatThrownBy(() -> new Membership(new TreeSet<>(List.of(N1)), new TreeSet<>(List.of(N1))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    record RefusalCase(String rule, MembershipChange change, boolean commitOwnTermFirst, String refusal) {
        @Override
        public String toString() {
            return rule;
        }
    }

    // Reference: section 4.1: one change at a time, only after the leader committed an entry of its term;
    // section 4.2.1: promote only a learner that caught up.
    static Stream<RefusalCase> refusals() {
        return Stream.of(
                new RefusalCase("no change before an entry of the leader's term commits",
                        new MembershipChange.AddLearner(N4), false, "the leader has not yet committed an entry of its term"),
                new RefusalCase("adding a learner is accepted", new MembershipChange.AddLearner(N4), true, ""),
                new RefusalCase("a member cannot be added again", new MembershipChange.AddLearner(N2), true,
                        "n2 is already a member"),
                new RefusalCase("only a learner can be promoted", new MembershipChange.PromoteLearner(N2), true,
                        "n2 is not a learner"),
                new RefusalCase("a non-member cannot be removed", new MembershipChange.RemoveMember(N4), true,
                        "n4 is not a member"),
                new RefusalCase("removing a voter is accepted", new MembershipChange.RemoveMember(N3), true, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void changeRule(RefusalCase c) {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        if (c.commitOwnTermFirst()) {
            core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));
            assertThat(core.isLeaderReady()).isTrue();
        }
        ProposalResult result = core.step(new Input.ChangeMembership(c.change())).proposal().orElseThrow();
        assertThat(result.refusal()).isEqualTo(c.refusal());
        assertThat(result.isAccepted()).isEqualTo(c.refusal().isEmpty());
    }

    // Reference: section 4.1: a change is in force as soon as it is appended, and the next waits for it
    // to commit; a learner is promoted only once it holds the committed log (section 4.2.1).
    @Test
    void oneChangeAtATimeAndPromoteOnlyWhenCaughtUp() {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));
        core.step(new Input.ChangeMembership(new MembershipChange.AddLearner(N4)));
        assertThat(core.membership().isLearner(N4)).as("in force when appended").isTrue();
        ProposalResult second = core.step(new Input.ChangeMembership(new MembershipChange.PromoteLearner(N4)))
                .proposal().orElseThrow();
        assertThat(second.refusal()).isEqualTo("a membership change is still uncommitted");

        core.step(new Input.LogDurable(new OpId(1, 2)));
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 2)));
        assertThat(core.committedConfig().index()).isEqualTo(2);
        ProposalResult early = core.step(new Input.ChangeMembership(new MembershipChange.PromoteLearner(N4)))
                .proposal().orElseThrow();
        assertThat(early.refusal()).isEqualTo("n4 has not caught up (match 0, commit 2)");

        core.step(receive(AppendResponse.accepted(N4, N1, 1, 2)));
        ProposalResult promoted = core.step(new Input.ChangeMembership(new MembershipChange.PromoteLearner(N4)))
                .proposal().orElseThrow();
        assertThat(promoted.isAccepted()).isTrue();
        assertThat(core.membership().isVoter(N4)).isTrue();
    }
}
