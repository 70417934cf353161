package basalt.itest.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Waiting on a condition with a deadline: the harness never sleeps and hopes. A condition is polled
 * every {@link #INTERVAL} until it holds or the deadline passes; the failure names what was awaited.
 */
public final class Poll {
    /** Short enough not to slow a test, long enough not to burn one of the 2 cores polling. */
    public static final Duration INTERVAL = Duration.ofMillis(20);

    private Poll() {}

    /** A condition that may carry a value once it holds, and say why it does not hold yet. */
    @FunctionalInterface
    public interface Probe<T> {
        /** Empty while not ready. May throw to abort the wait (for example, the process died). */
        Optional<T> probe() throws Exception;
    }

    /** Thrown when a deadline passes before the condition holds. */
    public static final class TimeoutException extends RuntimeException {
        public TimeoutException(String message, Throwable lastFailure) {
            super(message, lastFailure);
        }
    }

    /** Waits until {@code condition} is true, at most {@code timeout}. */
    public static void until(String description, Duration timeout, Supplier<Boolean> condition) {
        forValue(description, timeout, () -> condition.get() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /**
     * Waits until {@code probe} yields a value, at most {@code timeout}. A probe that throws an
     * {@link AbortWait} ends the wait at once; any other exception counts as "not yet", and the last one
     * becomes the cause of the timeout.
     */
    public static <T> T forValue(String description, Duration timeout, Probe<T> probe) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        Exception lastFailure = null;
        while (true) {
            try {
                Optional<T> value = probe.probe();
                if (value.isPresent()) {
                    return value.get();
                }
            } catch (AbortWait e) {
                throw e;
            } catch (Exception e) {
                lastFailure = e;
            }
            long leftNanos = deadlineNanos - System.nanoTime();
            if (leftNanos <= 0) {
                throw new TimeoutException("timed out after " + timeout.toMillis() + " ms waiting for " + description
                        + (lastFailure == null ? "" : "; last failure: " + lastFailure), lastFailure);
            }
            try {
                Thread.sleep(Math.min(INTERVAL.toMillis(), Math.max(1, leftNanos / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + description, e);
            }
        }
    }

    /** Thrown by a probe to stop waiting: the condition can no longer become true. */
    public static final class AbortWait extends RuntimeException {
        public AbortWait(String message) {
            super(message);
        }

        public AbortWait(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
