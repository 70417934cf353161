package basalt.consensus.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Goal: after a leader dies, no two voters time out in the same tick, so they never split the vote by
 * campaigning at once (the failure Kudu's followers show). Method: draw many timeouts per voter and
 * check that the voters' ranges are disjoint and all within [base, 2 * base). Reference: section 3.4
 * (randomized timeouts), tightened from "rarely" to "never" for simultaneous timers.
 */
class ElectionTimeoutSlotsTest {

    @ParameterizedTest(name = "{0} voters")
    @ValueSource(ints = {1, 2, 3, 5, 7})
    void votersDrawFromDisjointSlots(int voterCount) {
        List<NodeId> voters = java.util.stream.IntStream.rangeClosed(1, voterCount)
                .mapToObj(i -> NodeId.of("n" + i)).toList();
        Membership membership = Membership.ofVoters(voters);
        int base = RaftConfig.DEFAULT.electionTimeoutTicks();
        int previousMax = base - 1;
        for (NodeId voter : voters) {
            // Term 1: a group that has had a leader (a brand-new group's first voter campaigns at once).
            RaftCore core = new RaftCore(voter, RaftConfig.DEFAULT, new MemoryRaftLog(),
                    new HardState(1, java.util.Optional.empty(), new ConfigAt(0, membership)), 0,
                    new SplittableRandom(voter.hashCode()));
            int min = Integer.MAX_VALUE;
            int max = Integer.MIN_VALUE;
            for (int i = 0; i < 2_000; i++) {
                int timeout = core.randomizedElectionTimeout();
                min = Math.min(min, timeout);
                max = Math.max(max, timeout);
            }
            assertThat(min).as("%s's earliest timeout is after the previous voter's latest", voter)
                    .isGreaterThan(previousMax);
            assertThat(max).isLessThan(2 * base);
            previousMax = max;
        }
    }

    /** Goal: a brand-new group (term 0, empty log) does not wait an election timeout for its first leader. */
    @org.junit.jupiter.api.Test
    void aBrandNewGroupsFirstVoterCampaignsAtTheNextTick() {
        Membership membership = Membership.ofVoters(NodeId.of("n1"), NodeId.of("n2"), NodeId.of("n3"));
        RaftCore first = new RaftCore(NodeId.of("n1"), RaftConfig.DEFAULT, new MemoryRaftLog(),
                HardState.initial(membership), 0, new SplittableRandom(1));
        RaftCore second = new RaftCore(NodeId.of("n2"), RaftConfig.DEFAULT, new MemoryRaftLog(),
                HardState.initial(membership), 0, new SplittableRandom(1));
        assertThat(first.randomizedElectionTimeout()).isEqualTo(1);
        assertThat(second.randomizedElectionTimeout()).isGreaterThanOrEqualTo(RaftConfig.DEFAULT.electionTimeoutTicks());
        first.step(new Input.Tick());
        assertThat(first.role()).isInstanceOf(Role.PreCandidate.class);
    }
}
