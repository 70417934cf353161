package basalt.consensus.sim;

import java.util.random.RandomGenerator;

/**
 * The fault knobs of one run. {@link #swarm} draws them from the seed (TigerBeetle's "swarm testing"),
 * so some runs are calm and others brutal, and a bug that needs one particular mix gets found.
 *
 * @param dropProbability each message is lost with this probability
 * @param duplicateProbability each message is delivered twice with this probability
 * @param maxDelayUnits network delay is uniform in [1, max] units (a tick is 10), which reorders
 * @param maxSyncUnits an fsync takes [1, max] units
 * @param spareNodes replicas outside the group at first, for membership changes to add
 * @param crashPercent share of nemesis actions that crash (or restart) a replica
 * @param partitionPercent share that cut the network (isolate one, split, or one-way)
 * @param membershipChanges whether the nemesis adds, promotes and removes members
 * @param transfers whether the nemesis transfers leadership
 * @param walGc whether replicas flush their state machine and delete WAL below it
 * @param nemesisPeriodTicks the nemesis acts every 5 + [0, period) ticks
 * @param maxAppendBytes the byte budget of one append: 1 sends one entry per message, which splits a new
 *     leader's catch-up of old entries from its no-op (what the Figure 3.7 bug needs)
 * @param killNewLeaderPercent chance that a newly elected leader is crashed within a few ticks, when it
 *     has replicated only part of its log: the moment most election bugs need
 */
public record FaultPlan(double dropProbability, double duplicateProbability, int maxDelayUnits, int maxSyncUnits,
                        int spareNodes, int crashPercent, int partitionPercent, boolean membershipChanges,
                        boolean transfers, boolean walGc, int nemesisPeriodTicks, long maxAppendBytes,
                        int killNewLeaderPercent) {

    public static FaultPlan swarm(RandomGenerator random) {
        double[] drops = {0, 0.01, 0.05, 0.2};
        double[] duplicates = {0, 0.02, 0.1};
        int[] delays = {2, 8, 25};
        return new FaultPlan(
                drops[random.nextInt(drops.length)],
                duplicates[random.nextInt(duplicates.length)],
                delays[random.nextInt(delays.length)],
                1 + random.nextInt(8),
                random.nextInt(3),
                10 + random.nextInt(30),
                random.nextInt(30),
                random.nextBoolean(),
                random.nextBoolean(),
                random.nextBoolean(),
                5 + random.nextInt(40),
                new long[] {1, 200, 4096}[random.nextInt(3)],
                new int[] {0, 0, 20, 50}[random.nextInt(4)]);
    }

    /** No faults at all: for checking that a calm run makes steady progress. */
    public static FaultPlan calm() {
        return new FaultPlan(0, 0, 2, 2, 0, 0, 0, false, false, false, 1000, 4096, 0);
    }
}
