package basalt.itest.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Goal: a wait returns as soon as its condition holds, fails at its deadline naming what it awaited, and aborts at once when told. */
class PollTest {
    @Test
    void returnsTheValueOnceTheProbeYieldsOne() {
        AtomicInteger calls = new AtomicInteger();
        String value = Poll.forValue("the third call", Duration.ofSeconds(5),
                () -> calls.incrementAndGet() < 3 ? Optional.empty() : Optional.of("ready"));
        assertThat(value).isEqualTo("ready");
        assertThat(calls).hasValue(3);
    }

    @Test
    void timesOutNamingTheConditionAndTheLastFailure() {
        long startNanos = System.nanoTime();
        assertThatThrownBy(() -> Poll.forValue("a server that never answers", Duration.ofMillis(100), () -> {
            throw new IllegalStateException("connection refused");
        }))
                .isInstanceOf(Poll.TimeoutException.class)
                .hasMessageContaining("a server that never answers")
                .hasMessageContaining("connection refused");
        assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void anAbortEndsTheWaitAtOnce() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> Poll.until("a dead process to serve", Duration.ofSeconds(30), () -> {
            calls.incrementAndGet();
            throw new Poll.AbortWait("exited with code 1");
        })).isInstanceOf(Poll.AbortWait.class).hasMessage("exited with code 1");
        assertThat(calls).hasValue(1);
    }
}
