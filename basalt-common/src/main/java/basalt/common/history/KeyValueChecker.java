package basalt.common.history;

import basalt.common.check.Check;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Checks a key-value history of registers, one key at a time.
 *
 * <p>Linearizability is local (Herlihy and Wing's P-compositionality): a history over several objects
 * is linearizable iff each object's sub-history is. Splitting by key turns one search over all
 * operations into several much smaller ones. Every key starts absent ({@link RegisterModel#ABSENT}).
 * Keys are checked in sorted order, so the result does not depend on hash order.
 */
public final class KeyValueChecker {
    private KeyValueChecker() {}

    /**
     * The default budget per key. The memo grows by at most one entry per step, so this also bounds
     * memory (roughly a few hundred bytes per entry for histories of a few hundred operations per key).
     */
    public static final long DEFAULT_MAX_SEARCH_STEPS_PER_KEY = 1_000_000;

    /** Checks with {@link #DEFAULT_MAX_SEARCH_STEPS_PER_KEY}. */
    public static Result check(List<Operation> operations) {
        return check(operations, DEFAULT_MAX_SEARCH_STEPS_PER_KEY);
    }

    /**
     * NOT_LINEARIZABLE if any key is (its explanation names the first such key), else UNKNOWN if any key
     * ran out of budget, else LINEARIZABLE. Steps are summed over keys.
     */
    public static Result check(List<Operation> operations, long maxSearchStepsPerKey) {
        Result firstUnknown = null;
        long steps = 0;
        for (Map.Entry<String, Result> byKey : checkEachKey(operations, maxSearchStepsPerKey).entrySet()) {
            Result result = byKey.getValue();
            steps += result.searchSteps();
            switch (result.verdict()) {
                case NOT_LINEARIZABLE -> {
                    return new Result(result.verdict(), "key " + byKey.getKey() + ": " + result.explanation(), steps);
                }
                case UNKNOWN -> {
                    if (firstUnknown == null) {
                        firstUnknown = new Result(result.verdict(), "key " + byKey.getKey() + ": " + result.explanation(), 0);
                    }
                }
                case LINEARIZABLE -> { }
            }
        }
        return firstUnknown == null
                ? Result.linearizable(steps)
                : new Result(firstUnknown.verdict(), firstUnknown.explanation(), steps);
    }

    /** The result for every key, in key order. */
    public static SortedMap<String, Result> checkEachKey(List<Operation> operations, long maxSearchStepsPerKey) {
        Check.arg(operations != null, "operations must not be null");
        SortedMap<String, List<Operation>> byKey = new TreeMap<>();
        for (Operation operation : operations) {
            byKey.computeIfAbsent(operation.key(), key -> new ArrayList<>()).add(operation);
        }
        RegisterModel model = new RegisterModel();
        SortedMap<String, Result> results = new TreeMap<>();
        for (Map.Entry<String, List<Operation>> entry : byKey.entrySet()) {
            results.put(entry.getKey(),
                    LinearizabilityChecker.check(entry.getValue(), model, RegisterModel.ABSENT, maxSearchStepsPerKey));
        }
        return Collections.unmodifiableSortedMap(results);
    }
}
