package basalt.client.rpc;

import basalt.common.time.Clock;
import java.time.Duration;

/** The moment an operation must be finished by, on the monotonic clock; every retry loop checks it. */
public record Deadline(Clock clock, long endNanos, Duration timeout) {
    public static Deadline after(Clock clock, Duration timeout) {
        return new Deadline(clock, clock.monotonicNanos() + timeout.toNanos(), timeout);
    }

    public long remainingNanos() {
        return endNanos - clock.monotonicNanos();
    }

    public long remainingMillis() {
        return Math.max(0, remainingNanos() / 1_000_000);
    }

    public boolean expired() {
        return remainingNanos() <= 0;
    }

    /** The time one attempt may take: at most {@code attemptTimeout}, never past the deadline, at least 1 ms. */
    public long attemptMillis(Duration attemptTimeout) {
        return Math.max(1, Math.min(remainingMillis(), attemptTimeout.toMillis()));
    }
}
