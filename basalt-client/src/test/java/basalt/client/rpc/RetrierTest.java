package basalt.client.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.client.BasaltException;
import basalt.common.time.Clock;
import basalt.proto.Code;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RetrierTest {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final Retrier retrier = new Retrier(scheduler, new Backoff(1, 4, new SplittableRandom(3)));

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void retriesUntilAnAttemptIsDone() {
        AtomicInteger attempts = new AtomicInteger();
        String answer = retrier.<String>run("call", Deadline.after(Clock.SYSTEM, Duration.ofSeconds(10)), () ->
                CompletableFuture.completedFuture(attempts.incrementAndGet() < 5
                        ? Outcome.retryLater("busy") : Outcome.done("ok"))).join();
        assertThat(answer).isEqualTo("ok");
        assertThat(attempts).hasValue(5);
        assertThat(retrier.retries()).as("every attempt after the first is a retry").isEqualTo(4);
    }

    @Test
    void aFinalErrorStopsAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<String> call = retrier.run("call", Deadline.after(Clock.SYSTEM, Duration.ofSeconds(10)), () -> {
            attempts.incrementAndGet();
            return CompletableFuture.completedFuture(Outcome.fail(new BasaltException(Code.INVALID_ARGUMENT, "bad")));
        });
        assertThatThrownBy(call::join).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(BasaltException.class).hasMessageContaining("INVALID_ARGUMENT: bad");
        assertThat(attempts).hasValue(1);
    }

    /** The deadline bounds the retries; the error names the last reason, so a timeout explains itself. */
    @Test
    void theDeadlineEndsRetriesWithTimedOutAndTheLastReason() {
        CompletableFuture<String> call = retrier.run("write to tablet t1",
                Deadline.after(Clock.SYSTEM, Duration.ofMillis(100)),
                () -> CompletableFuture.completedFuture(Outcome.retryLater("tablet t1: SERVICE_UNAVAILABLE not ready")));
        assertThatThrownBy(call::join).cause().isInstanceOfSatisfying(BasaltException.class, e -> {
            assertThat(e.code()).isEqualTo(Code.TIMED_OUT);
            assertThat(e.getMessage()).contains("write to tablet t1 timed out").contains("SERVICE_UNAVAILABLE not ready");
        });
    }

    /** Two replicas naming each other leader must not spin: after a few immediate retries it backs off. */
    @Test
    void immediateRetriesAreBoundedThenBackOff() {
        List<Long> startNanos = new ArrayList<>();
        CompletableFuture<String> call = retrier.run("ping-pong", Deadline.after(Clock.SYSTEM, Duration.ofMillis(200)), () -> {
            synchronized (startNanos) {
                startNanos.add(System.nanoTime());
            }
            return CompletableFuture.completedFuture(Outcome.retryNow("hint to the other one"));
        });
        assertThatThrownBy(call::join).cause().isInstanceOf(BasaltException.class);
        // With back-off of at least 0.5 ms after every 4 attempts, 200 ms allow far fewer than a spin would.
        assertThat(startNanos.size()).isLessThan(4 * 400 + 4);
        assertThat(startNanos.size()).isGreaterThan(Retrier.MAX_IMMEDIATE_RETRIES + 1);
    }
}
