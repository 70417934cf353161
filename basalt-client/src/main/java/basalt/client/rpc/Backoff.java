package basalt.client.rpc;

import basalt.common.check.Check;
import java.util.random.RandomGenerator;

/**
 * Jittered exponential back-off between retries: attempt n waits a uniform time in [base/2, base] with
 * base = min(maxMs, initialMs * 2^n). The jitter spreads clients that failed together so they do not
 * retry together; the cap is small because an election takes 300-600 ms and a longer wait only adds to
 * the outage once the new leader is ready (a refusal costs a server almost nothing).
 */
public final class Backoff {
    private final long initialMs;
    private final long maxMs;
    private final RandomGenerator random;

    public Backoff(long initialMs, long maxMs, RandomGenerator random) {
        Check.arg(initialMs >= 1 && maxMs >= initialMs, "back-off needs 1 <= initial (%s) <= max (%s)", initialMs, maxMs);
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.random = random;
    }

    /** How long to wait before retry number {@code attempt} (0 for the first retry). */
    public long delayMillis(int attempt) {
        long base = maxMs;
        if (attempt < 62) {
            base = Math.min(maxMs, initialMs << Math.min(attempt, 30));
        }
        long half = base / 2;
        synchronized (random) {
            return half + random.nextLong(base - half + 1);
        }
    }
}
