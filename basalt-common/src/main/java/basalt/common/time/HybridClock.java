package basalt.common.time;

/**
 * Hybrid logical time (Kulkarni et al.), as Kudu uses it: the upper bits are physical microseconds, the
 * low {@link #LOGICAL_BITS} bits a counter, so timestamps stay close to wall time, never go backwards,
 * and can be moved past a timestamp seen from elsewhere. Thread-safe.
 */
public final class HybridClock {
    public static final int LOGICAL_BITS = 12;

    private final Clock clock;
    private long last;

    public HybridClock(Clock clock) {
        this.clock = clock;
    }

    /** A timestamp greater than every one this clock returned or was updated with. */
    public synchronized long now() {
        long physical = clock.wallMicros() << LOGICAL_BITS;
        last = Math.max(last + 1, physical);
        return last;
    }

    /** Moves this clock past {@code observed} (a timestamp from a replicated entry or another server). */
    public synchronized void update(long observed) {
        last = Math.max(last, observed);
    }

    public static long physicalMicros(long timestamp) {
        return timestamp >>> LOGICAL_BITS;
    }

    public static long logical(long timestamp) {
        return timestamp & ((1L << LOGICAL_BITS) - 1);
    }

    public static long fromMicros(long micros) {
        return micros << LOGICAL_BITS;
    }
}
