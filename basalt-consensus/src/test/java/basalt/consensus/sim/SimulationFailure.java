package basalt.consensus.sim;

/** An invariant failed: the message names it, the seed, the simulated time, and how to replay. */
public final class SimulationFailure extends RuntimeException {
    private final String invariant;

    SimulationFailure(String invariant, String message) {
        super(message);
        this.invariant = invariant;
    }

    public String invariant() {
        return invariant;
    }
}
