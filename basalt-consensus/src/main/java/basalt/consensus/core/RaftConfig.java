package basalt.consensus.core;

import basalt.common.check.Check;

/**
 * The tunables of one Raft group, validated in one place. Time is counted in ticks: the driver turns
 * its tick period into {@link Input.Tick} inputs, so the core never reads a clock.
 *
 * @param electionTimeoutTicks a follower that hears no leader for a random time in
 *     {@code [electionTimeoutTicks, 2 * electionTimeoutTicks)} starts an election; a leader that has
 *     not heard from a majority for {@code electionTimeoutTicks} steps down (check-quorum)
 * @param heartbeatIntervalTicks how often a leader sends appends to idle peers
 * @param maxAppendBytes the byte budget of the entries in one append message
 * @param maxInflightAppends appends sent to one peer and not yet answered, at most
 * @param preVote whether a follower asks for pre-votes before raising its term (section 9.6)
 * @param checkQuorum whether a leader steps down without a live majority, and followers that hear a
 *     leader ignore vote requests (section 6.2's "leader stickiness")
 */
public record RaftConfig(int electionTimeoutTicks, int heartbeatIntervalTicks, long maxAppendBytes,
                         int maxInflightAppends, boolean preVote, boolean checkQuorum) {
    public static final RaftConfig DEFAULT = new RaftConfig(10, 1, 1 << 20, 64, true, true);

    public RaftConfig {
        Check.arg(heartbeatIntervalTicks >= 1, "heartbeatIntervalTicks %s must be >= 1", heartbeatIntervalTicks);
        Check.arg(electionTimeoutTicks > heartbeatIntervalTicks,
                "electionTimeoutTicks %s must exceed heartbeatIntervalTicks %s",
                electionTimeoutTicks, heartbeatIntervalTicks);
        Check.arg(maxAppendBytes >= 1, "maxAppendBytes %s must be >= 1", maxAppendBytes);
        Check.arg(maxInflightAppends >= 1, "maxInflightAppends %s must be >= 1", maxInflightAppends);
    }

    public RaftConfig withElectionTimeoutTicks(int ticks) {
        return new RaftConfig(ticks, heartbeatIntervalTicks, maxAppendBytes, maxInflightAppends, preVote, checkQuorum);
    }

    public RaftConfig withMaxAppendBytes(long bytes) {
        return new RaftConfig(electionTimeoutTicks, heartbeatIntervalTicks, bytes, maxInflightAppends, preVote, checkQuorum);
    }

    public RaftConfig withMaxInflightAppends(int count) {
        return new RaftConfig(electionTimeoutTicks, heartbeatIntervalTicks, maxAppendBytes, count, preVote, checkQuorum);
    }
}
