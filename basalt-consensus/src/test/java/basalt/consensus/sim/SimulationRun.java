package basalt.consensus.sim;

import basalt.common.history.Result;
import java.util.SplittableRandom;

/** One seeded run: safety phase under swarm faults, then healing and the liveness and history checks. */
public final class SimulationRun {
    public static final long DEFAULT_SAFETY_TICKS = 800;
    public static final long LIVENESS_TICKS = 600;

    private SimulationRun() {}

    /** What a passing run did, for reporting. */
    public record Outcome(long seed, int voters, long events, int operations, long committed, long traceHash,
                          Result.Verdict verdict) {}

    public static Outcome run(long seed, long safetyTicks, CoreFactory coreFactory) {
        SplittableRandom planRandom = new SplittableRandom(seed ^ 0x5EEDL);
        int voters = planRandom.nextBoolean() ? 3 : 5;
        FaultPlan faults = FaultPlan.swarm(planRandom);
        Simulation simulation = new Simulation(seed, voters, faults, coreFactory);
        simulation.runWithFaults(safetyTicks);
        simulation.healAll();
        simulation.requireProgress(LIVENESS_TICKS);
        Result history = simulation.checkHistory();
        simulation.checkReplicasAgree();
        return new Outcome(seed, voters, simulation.events(), simulation.operationCount(),
                simulation.maxCommittedIndex(), simulation.traceHash(), history.verdict());
    }

    /** Seeds of a batch: spread out by a fixed odd multiplier, so batch seeds differ in every bit. */
    public static long seedOf(long batchIndex) {
        return (batchIndex + 1) * 0x9E3779B97F4A7C15L;
    }

    static long parseSeed(String text) {
        String trimmed = text.trim();
        return trimmed.startsWith("0x") ? Long.parseUnsignedLong(trimmed.substring(2), 16) : Long.parseLong(trimmed);
    }
}
