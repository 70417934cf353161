package basalt.common.history;

import basalt.common.check.Check;

/**
 * The verdict of a linearizability check.
 *
 * @param verdict what the search concluded
 * @param explanation empty when linearizable; otherwise a short reason for people (the longest
 *     linearizable prefix and the operation that could not be placed, or the exhausted budget)
 * @param searchSteps how many search steps were spent, summed over keys for a key-value check
 */
public record Result(Verdict verdict, String explanation, long searchSteps) {

    /** What a check concluded. */
    public enum Verdict {
        /** Some order of the operations, consistent with real time, satisfies the model. */
        LINEARIZABLE,
        /** No such order exists. */
        NOT_LINEARIZABLE,
        /** The step budget ran out before the search concluded. */
        UNKNOWN
    }

    public Result {
        Check.arg(verdict != null, "verdict must not be null");
        Check.arg(explanation != null, "explanation must not be null");
        Check.arg(searchSteps >= 0, "searchSteps must be >= 0, was %s", searchSteps);
    }

    static Result linearizable(long searchSteps) {
        return new Result(Verdict.LINEARIZABLE, "", searchSteps);
    }

    public boolean isLinearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    @Override
    public String toString() {
        return explanation.isEmpty()
                ? verdict + " (" + searchSteps + " steps)"
                : verdict + " (" + searchSteps + " steps): " + explanation;
    }
}
