package basalt.consensus.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The part a replica plays in its current term. Only {@link RaftCore}'s {@code becomeX} methods assign it.
 *
 * <pre>
 * Follower     -> PreCandidate: election timeout elapsed, and this replica is a voter
 * PreCandidate -> Candidate:    a majority would vote for us (the term is raised only now)
 * PreCandidate -> Follower:     a majority refused, or we heard a leader, or saw a higher term
 * Follower     -> Candidate:    TimeoutNow from a leader transferring to us (no pre-vote)
 * Candidate    -> Leader:       a majority voted for us in this term
 * Candidate    -> Candidate:    election timeout elapsed (term + 1)
 * Leader       -> Follower:     saw a higher term; lost contact with a majority (check-quorum);
 *                               committed a membership that removes it
 * Any          -> Follower:     saw a higher term
 * </pre>
 *
 * A learner is a follower that is not a voter: it never leaves the Follower role.
 */
public sealed interface Role permits Role.Follower, Role.PreCandidate, Role.Candidate, Role.Leader {

    String name();

    /** Ticks since the role last reset its election timer, and the randomized timeout it waits for. */
    final class Follower implements Role {
        Optional<NodeId> leader;
        int ticksSinceLeader;
        int ticksElapsed;
        final int electionTimeoutTicks;

        Follower(Optional<NodeId> leader, int electionTimeoutTicks) {
            this.leader = leader;
            this.electionTimeoutTicks = electionTimeoutTicks;
            this.ticksSinceLeader = leader.isPresent() ? 0 : Integer.MAX_VALUE / 2;
        }

        public Optional<NodeId> leader() {
            return leader;
        }

        @Override
        public String name() {
            return "follower";
        }
    }

    final class PreCandidate implements Role {
        final VoteTally tally;
        int ticksElapsed;
        final int electionTimeoutTicks;

        PreCandidate(VoteTally tally, int electionTimeoutTicks) {
            this.tally = tally;
            this.electionTimeoutTicks = electionTimeoutTicks;
        }

        @Override
        public String name() {
            return "pre-candidate";
        }
    }

    final class Candidate implements Role {
        final VoteTally tally;
        int ticksElapsed;
        final int electionTimeoutTicks;

        Candidate(VoteTally tally, int electionTimeoutTicks) {
            this.tally = tally;
            this.electionTimeoutTicks = electionTimeoutTicks;
        }

        @Override
        public String name() {
            return "candidate";
        }
    }

    /** Mutable on purpose: per-peer progress changes on every response. Only the core touches it. */
    final class Leader implements Role {
        /** Every member but this replica, in membership order. */
        final Map<NodeId, Progress> progress = new LinkedHashMap<>();
        /** Index of this term's no-op: the leader is "ready" once it commits. */
        final long firstIndexOfTerm;
        int heartbeatElapsedTicks;
        /** Ticks since the last check-quorum round; a round checks who answered since the previous one. */
        int quorumCheckElapsedTicks;
        /** The replica we are handing leadership to, while a transfer is in progress. */
        Optional<NodeId> transferTarget = Optional.empty();
        int transferElapsedTicks;
        boolean timeoutNowSent;

        Leader(long firstIndexOfTerm) {
            this.firstIndexOfTerm = firstIndexOfTerm;
        }

        public Map<NodeId, Progress> progress() {
            return progress;
        }

        @Override
        public String name() {
            return "leader";
        }
    }
}
