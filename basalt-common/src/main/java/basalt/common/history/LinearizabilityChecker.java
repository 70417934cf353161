package basalt.common.history;

import basalt.common.check.Check;
import basalt.common.history.Operation.Function;
import basalt.common.history.Operation.Status;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether the history of one object is linearizable against a sequential {@link Model}.
 *
 * <p>Method: the Wing–Gong search as refined by Lowe ("Testing for linearizability", 2017) and used by
 * Porcupine. The calls and returns of all operations are put in one list ordered by time. The search
 * walks the list from the front: at a call it tries to linearize that operation next (the model must
 * accept it), removes the call and its return from the list, and starts again from the front; at a
 * return it has met an operation that was not linearized before it returned, so it backtracks, undoing
 * the last choice and trying the next call after it. Each (set of linearized operations, model state)
 * that has been explored is remembered: reaching it again by another order cannot succeed where the
 * first visit failed, so that branch is cut (Lowe's memoization, which makes typical histories close to
 * linear time).
 *
 * <p>Statuses: FAIL operations did not happen and are dropped. INFO operations may take effect at any
 * time after their invocation or never: they get no return entry (response at +infinity), and the search
 * succeeds once every OK operation is linearized, whichever INFO operations were used. An INFO read
 * cannot change the state and has no output to check, so it is dropped too.
 *
 * <p>Ties: a return and a call at the same time are treated as concurrent (calls sort first), since
 * equal timestamps do not show which came first.
 *
 * <p>Bound: one step per visited list entry; past {@code maxSearchSteps} the answer is UNKNOWN. The
 * memo holds at most one entry per step.
 */
public final class LinearizabilityChecker {
    private LinearizabilityChecker() {}

    /** The list sentinel; entries proper are 1..2n. */
    private static final int HEAD = 0;
    /** End of the list, and "no return entry" for an INFO operation. */
    private static final int NONE = -1;
    /** Operations of the longest linearizable prefix shown in an explanation. */
    private static final int PREFIX_SHOWN = 3;

    /** A memo entry: the operations linearized so far and the state they led to. */
    private record Explored(BitSet linearized, Object state) {}

    /**
     * Checks {@code operations}, all on one object, against {@code model} starting in {@code initialState}.
     * For a key-value history use {@link KeyValueChecker}, which splits it by key first.
     */
    public static <S> Result check(List<Operation> operations, Model<S> model, S initialState, long maxSearchSteps) {
        Check.arg(model != null, "model must not be null");
        Check.arg(initialState != null, "initialState must not be null (wrap an absent value)");
        Check.arg(maxSearchSteps > 0, "maxSearchSteps must be > 0, was %s", maxSearchSteps);
        List<Operation> ops = new ArrayList<>();
        for (Operation operation : operations) {
            boolean infoRead = operation.status() == Status.INFO && operation.function() == Function.READ;
            if (operation.status() != Status.FAIL && !infoRead) {
                ops.add(operation);
            }
        }
        return new Search<>(ops, model, initialState, maxSearchSteps).run();
    }

    /** The state of one search; used once. */
    private static final class Search<S> {
        private final List<Operation> ops;
        private final Model<S> model;
        private final S initialState;
        private final long maxSearchSteps;

        // The entry list, as parallel arrays indexed by entry. Removed entries keep their own prev/next
        // so that undoing removals in reverse order restores the list (Knuth's dancing links).
        private final int[] entryOp;
        private final boolean[] entryIsCall;
        private final int[] returnOfCall;
        private final int[] next;
        private final int[] prev;

        // The longest linearizable prefix seen at a dead end, for the explanation.
        private int bestDepth = -1;
        private List<Operation> bestPrefix = List.of();
        private S bestState;
        private Operation blocked;

        Search(List<Operation> ops, Model<S> model, S initialState, long maxSearchSteps) {
            this.ops = ops;
            this.model = model;
            this.initialState = initialState;
            this.maxSearchSteps = maxSearchSteps;
            int n = ops.size();
            entryOp = new int[2 * n + 1];
            entryIsCall = new boolean[2 * n + 1];
            returnOfCall = new int[2 * n + 1];
            next = new int[2 * n + 1];
            prev = new int[2 * n + 1];
            buildEntries();
        }

        private record Event(long time, boolean isCall, int op) {}

        private void buildEntries() {
            List<Event> events = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                Operation operation = ops.get(i);
                events.add(new Event(operation.invokeTime(), true, i));
                if (operation.status() == Status.OK) {
                    events.add(new Event(operation.responseTime(), false, i));
                }
            }
            events.sort(Comparator.comparingLong(Event::time)
                    .thenComparing(event -> !event.isCall())
                    .thenComparingInt(Event::op));
            int[] callEntryOfOp = new int[ops.size()];
            int last = HEAD;
            for (int index = 0; index < events.size(); index++) {
                Event event = events.get(index);
                int entry = index + 1;
                entryOp[entry] = event.op();
                entryIsCall[entry] = event.isCall();
                returnOfCall[entry] = NONE;
                if (event.isCall()) {
                    callEntryOfOp[event.op()] = entry;
                } else {
                    returnOfCall[callEntryOfOp[event.op()]] = entry;
                }
                next[last] = entry;
                prev[entry] = last;
                last = entry;
            }
            next[last] = NONE;
        }

        Result run() {
            int okRemaining = 0;
            for (Operation operation : ops) {
                okRemaining += operation.status() == Status.OK ? 1 : 0;
            }
            if (okRemaining == 0) {
                return Result.linearizable(0);
            }
            BitSet linearized = new BitSet(ops.size());
            Set<Explored> explored = new HashSet<>();
            int[] stackCall = new int[ops.size()];
            List<S> stackState = new ArrayList<>(ops.size());
            int depth = 0;
            S state = initialState;
            int entry = next[HEAD];
            long steps = 0;
            while (true) {
                if (++steps > maxSearchSteps) {
                    return new Result(Result.Verdict.UNKNOWN, String.format(
                            "search budget of %d steps exhausted; at most %d of %d operations linearized",
                            maxSearchSteps, Math.max(bestDepth, depth), ops.size()), maxSearchSteps);
                }
                // An OK operation not yet linearized still has its return in the list, and the walk
                // stops at the first return, so it never runs off the end.
                Check.state(entry != NONE, "search walked off the entry list at depth %s", depth);
                int opIndex = entryOp[entry];
                if (entryIsCall[entry]) {
                    Operation operation = ops.get(opIndex);
                    Optional<S> after = model.step(state, operation);
                    if (after.isPresent()) {
                        linearized.set(opIndex);
                        // Probe with the live bitset; store a copy only when the pair is new.
                        if (!explored.contains(new Explored(linearized, after.get()))) {
                            explored.add(new Explored((BitSet) linearized.clone(), after.get()));
                            stackCall[depth] = entry;
                            stackState.add(state);
                            depth++;
                            state = after.get();
                            lift(entry);
                            if (operation.status() == Status.OK) {
                                okRemaining--;
                                if (okRemaining == 0) {
                                    return Result.linearizable(steps);
                                }
                            }
                            entry = next[HEAD];
                            continue;
                        }
                        linearized.clear(opIndex);
                    }
                    entry = next[entry];
                } else {
                    // This operation returned before any remaining order could place it.
                    if (depth > bestDepth) {
                        recordDeadEnd(depth, stackCall, state, ops.get(opIndex));
                    }
                    if (depth == 0) {
                        return new Result(Result.Verdict.NOT_LINEARIZABLE, explain(), steps);
                    }
                    depth--;
                    int call = stackCall[depth];
                    state = stackState.remove(depth);
                    unlift(call);
                    Operation undone = ops.get(entryOp[call]);
                    linearized.clear(entryOp[call]);
                    if (undone.status() == Status.OK) {
                        okRemaining++;
                    }
                    entry = next[call];
                }
            }
        }

        private void recordDeadEnd(int depth, int[] stackCall, S state, Operation returned) {
            bestDepth = depth;
            List<Operation> prefix = new ArrayList<>(depth);
            for (int i = 0; i < depth; i++) {
                prefix.add(ops.get(entryOp[stackCall[i]]));
            }
            bestPrefix = prefix;
            bestState = state;
            blocked = returned;
        }

        private String explain() {
            List<Operation> shown = bestPrefix.subList(Math.max(0, bestPrefix.size() - PREFIX_SHOWN), bestPrefix.size());
            String prefix = bestPrefix.isEmpty()
                    ? "no operation can be linearized first"
                    : "the longest linearizable prefix has " + bestPrefix.size() + " of " + ops.size()
                            + " operations, ending " + (bestPrefix.size() > shown.size() ? "..., " : "")
                            + String.join(", ", shown.stream().map(Operation::toString).toList());
            return String.format("%s; in state %s, %s could not be placed before its response",
                    prefix, model.describe(bestState), blocked);
        }

        /** Removes a call and its return from the list. */
        private void lift(int call) {
            remove(call);
            if (returnOfCall[call] != NONE) {
                remove(returnOfCall[call]);
            }
        }

        /** Undoes {@link #lift}: reinsertion in the reverse order of removal. */
        private void unlift(int call) {
            if (returnOfCall[call] != NONE) {
                reinsert(returnOfCall[call]);
            }
            reinsert(call);
        }

        private void remove(int entry) {
            next[prev[entry]] = next[entry];
            if (next[entry] != NONE) {
                prev[next[entry]] = prev[entry];
            }
        }

        private void reinsert(int entry) {
            next[prev[entry]] = entry;
            if (next[entry] != NONE) {
                prev[next[entry]] = entry;
            }
        }
    }
}
