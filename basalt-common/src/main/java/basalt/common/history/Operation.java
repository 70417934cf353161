package basalt.common.history;

import basalt.common.check.Check;

/**
 * One client call on one key: what was asked, what came back, and the interval in which it ran.
 *
 * <p>Inputs by function: {@code READ} has none; {@code WRITE} writes {@code value}; {@code CAS} sets
 * {@code value} if the register holds {@code expected}. {@code output} is what a completed read
 * returned and is {@code null} for every other operation. Values are strings; {@code null} means the
 * key is absent.
 *
 * <p>Times are longs in any unit (logical ticks or monotonic nanoseconds), comparable only with each
 * other. {@code responseTime} is valid for {@code OK} and {@code FAIL}. For {@code INFO} it records
 * when the client gave up, or {@link #NEVER} if it never heard back; the checker ignores it either way
 * and treats the response as arriving at +infinity.
 *
 * @param process the client process that issued the call; a process runs one call at a time
 * @param function what was called
 * @param key the key (the object) the call addressed
 * @param value the value written by a WRITE, or the new value of a CAS; {@code null} for a READ
 * @param expected the value a CAS compared against; {@code null} for READ and WRITE
 * @param output the value an OK READ returned; {@code null} otherwise
 * @param invokeTime when the call was sent
 * @param responseTime when the answer arrived (see above)
 * @param status whether the call took effect
 */
public record Operation(
        int process,
        Function function,
        String key,
        String value,
        String expected,
        String output,
        long invokeTime,
        long responseTime,
        Status status) {

    /** The response time of an INFO operation whose client never heard back. */
    public static final long NEVER = Long.MAX_VALUE;

    /** The calls of a register (Jepsen's {@code f}). */
    public enum Function {
        READ, WRITE, CAS
    }

    /** Whether a call took effect. */
    public enum Status {
        /** Completed; the response is known and the call took effect exactly once. */
        OK,
        /** Certainly did not take effect; the checker drops it. */
        FAIL,
        /** Unknown (for example a timeout): it may take effect at any time after its invocation, or never. */
        INFO
    }

    public Operation {
        Check.arg(process >= 0, "process must be >= 0, was %s", process);
        Check.arg(function != null, "function must not be null");
        Check.arg(key != null, "key must not be null");
        Check.arg(status != null, "status must not be null");
        Check.arg(function != Function.READ || (value == null && expected == null),
                "a read has no input, got value=%s expected=%s", value, expected);
        Check.arg(function == Function.CAS || expected == null,
                "only a cas has an expected value, %s has %s", function, expected);
        Check.arg((function == Function.READ && status == Status.OK) || output == null,
                "only an OK read has an output, %s %s has %s", status, function, output);
        Check.arg(responseTime >= invokeTime,
                "response time %s is before invoke time %s", responseTime, invokeTime);
    }

    /** A completed read that returned {@code output}. */
    public static Operation read(int process, String key, String output, long invokeTime, long responseTime) {
        return new Operation(process, Function.READ, key, null, null, output, invokeTime, responseTime, Status.OK);
    }

    /** A completed write of {@code value}. */
    public static Operation write(int process, String key, String value, long invokeTime, long responseTime) {
        return new Operation(process, Function.WRITE, key, value, null, null, invokeTime, responseTime, Status.OK);
    }

    /** A completed, successful compare-and-set from {@code expected} to {@code value}. */
    public static Operation cas(int process, String key, String expected, String value,
                                long invokeTime, long responseTime) {
        return new Operation(process, Function.CAS, key, value, expected, null, invokeTime, responseTime, Status.OK);
    }

    /** This operation with another status; an output only survives on an OK read. */
    public Operation withStatus(Status newStatus, long newResponseTime) {
        String keptOutput = newStatus == Status.OK ? output : null;
        return new Operation(process, function, key, value, expected, keptOutput, invokeTime, newResponseTime, newStatus);
    }

    /** A short form for explanations, e.g. {@code p3 cas(k1, 1->2) OK [10, 25]}. */
    @Override
    public String toString() {
        String call = switch (function) {
            case READ -> "read(" + key + ")" + (status == Status.OK ? " -> " + output : "");
            case WRITE -> "write(" + key + ", " + value + ")";
            case CAS -> "cas(" + key + ", " + expected + "->" + value + ")";
        };
        String end = responseTime == NEVER ? "inf" : Long.toString(responseTime);
        return "p" + process + " " + call + " " + status + " [" + invokeTime + ", " + end + "]";
    }
}
