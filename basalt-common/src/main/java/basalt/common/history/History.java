package basalt.common.history;

import basalt.common.check.Check;
import basalt.common.history.Operation.Function;
import basalt.common.history.Operation.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds {@link Operation}s from a stream of client events, pairing each completion with the
 * outstanding invocation of the same process.
 *
 * <p>Rules, each checked with a message naming the process: a process has at most one outstanding
 * call; a completion needs an outstanding call; a process's events do not go back in time. An
 * invocation still outstanding when {@link #operations()} is called counts as INFO with response
 * {@link Operation#NEVER} (Jepsen does the same), since the call may yet take effect.
 */
public final class History {
    /** Outstanding invocations by process; an entry exists from invoke until its completion. */
    private final Map<Integer, Pending> outstanding = new TreeMap<>();
    /** The latest event time per process, to reject a process going back in time. */
    private final Map<Integer, Long> lastTimeByProcess = new TreeMap<>();
    /** Completed operations, and placeholders for outstanding ones, in invocation order. */
    private final List<Operation> operations = new ArrayList<>();

    private record Pending(int index, Function function, String key, String value, String expected, long invokeTime) {}

    /** Starts a READ or WRITE; {@code value} is the value written, {@code null} for a read. */
    public History invoke(int process, Function function, String key, String value, long time) {
        Check.arg(function != Function.CAS, "p%s: a cas has two inputs, use invokeCas", process);
        return start(process, function, key, value, null, time);
    }

    /** Starts a compare-and-set of {@code key} from {@code expected} to {@code newValue}. */
    public History invokeCas(int process, String key, String expected, String newValue, long time) {
        return start(process, Function.CAS, key, newValue, expected, time);
    }

    /**
     * Completes the outstanding call of {@code process} successfully. {@code value} is what a read
     * returned; for a write or cas it is the echo of the input and is ignored.
     */
    public History ok(int process, String value, long time) {
        Pending pending = finish(process, "ok", time);
        String output = pending.function() == Function.READ ? value : null;
        complete(pending, process, output, time, Status.OK);
        return this;
    }

    /** Completes a write or cas whose answer carries no value. */
    public History ok(int process, long time) {
        return ok(process, null, time);
    }

    /** Completes the outstanding call of {@code process} as certainly not having taken effect. */
    public History fail(int process, long time) {
        complete(finish(process, "fail", time), process, null, time, Status.FAIL);
        return this;
    }

    /** Completes the outstanding call of {@code process} with an unknown outcome. */
    public History info(int process, long time) {
        complete(finish(process, "info", time), process, null, time, Status.INFO);
        return this;
    }

    /** True when {@code process} has a call without a completion. */
    public boolean isOutstanding(int process) {
        return outstanding.containsKey(process);
    }

    /** Every operation in invocation order; outstanding calls appear as INFO with response NEVER. */
    public List<Operation> operations() {
        return List.copyOf(operations);
    }

    private History start(int process, Function function, String key, String value, String expected, long time) {
        Pending already = outstanding.get(process);
        Check.state(already == null, "p%s invoked %s on %s at %s while its %s on %s invoked at %s is outstanding",
                process, function, key, time, already == null ? null : already.function(),
                already == null ? null : already.key(), already == null ? null : already.invokeTime());
        checkTime(process, time);
        Pending pending = new Pending(operations.size(), function, key, value, expected, time);
        outstanding.put(process, pending);
        // A placeholder keeps invocation order; it is replaced when the call completes.
        operations.add(new Operation(process, function, key, value, expected, null, time, Operation.NEVER, Status.INFO));
        return this;
    }

    private Pending finish(int process, String type, long time) {
        Pending pending = outstanding.remove(process);
        Check.state(pending != null, "p%s reported %s at %s but has no outstanding invocation", process, type, time);
        checkTime(process, time);
        return pending;
    }

    private void complete(Pending pending, int process, String output, long time, Status status) {
        operations.set(pending.index(), new Operation(process, pending.function(), pending.key(), pending.value(),
                pending.expected(), output, pending.invokeTime(), time, status));
    }

    private void checkTime(int process, long time) {
        Long last = lastTimeByProcess.get(process);
        Check.arg(last == null || time >= last, "p%s went back in time: event at %s after one at %s", process, time, last);
        lastTimeByProcess.put(process, time);
    }
}
