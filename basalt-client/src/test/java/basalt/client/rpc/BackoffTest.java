package basalt.client.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
    /** Attempt n waits within [base/2, base], base = min(max, initial * 2^n): doubling, then capped. */
    @Test
    void delaysDoubleWithinJitterUntilTheCap() {
        Backoff backoff = new Backoff(5, 50, new SplittableRandom(42));
        long[] bases = {5, 10, 20, 40, 50, 50, 50};
        for (int attempt = 0; attempt < bases.length; attempt++) {
            for (int sample = 0; sample < 200; sample++) {
                assertThat(backoff.delayMillis(attempt)).as("attempt %d", attempt)
                        .isBetween(bases[attempt] / 2, bases[attempt]);
            }
        }
    }

    @Test
    void veryLateAttemptsStayAtTheCap() {
        Backoff backoff = new Backoff(5, 50, new SplittableRandom(1));
        assertThat(backoff.delayMillis(1_000)).isBetween(25L, 50L);
        assertThat(backoff.delayMillis(Integer.MAX_VALUE)).isBetween(25L, 50L);
    }

    @Test
    void jitterSpreadsDelays() {
        Backoff backoff = new Backoff(5, 64, new SplittableRandom(7));
        assertThat(java.util.stream.IntStream.range(0, 100).mapToLong(i -> backoff.delayMillis(10)).distinct().count())
                .isGreaterThan(10);
    }

    @Test
    void refusesAnInitialDelayAboveTheCap() {
        assertThatThrownBy(() -> new Backoff(100, 50, new SplittableRandom()))
                .hasMessageContaining("initial (100) <= max (50)");
    }
}
