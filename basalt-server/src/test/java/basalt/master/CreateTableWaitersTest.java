package basalt.master;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Goal: a held IsCreateTableDone is released as soon as a heartbeat makes its table usable, at once when
 * it already is, and after its bound when it never becomes usable; released waiters are forgotten.
 */
class CreateTableWaitersTest {
    private final CreateTableWaiters waiters = new CreateTableWaiters();

    @Test
    void aWaiterIsReleasedByTheRecheckThatFindsItsTableUsable() throws Exception {
        AtomicBoolean usable = new AtomicBoolean();
        CompletableFuture<Void> held = waiters.await(usable::get, TimeUnit.MINUTES.toMillis(10));

        waiters.recheck();
        assertThat(held).as("not usable yet").isNotDone();

        usable.set(true);
        waiters.recheck();
        held.get(10, TimeUnit.SECONDS); // long before its 10-minute bound
        assertThat(waiters.waiting()).isZero();
    }

    @Test
    void aTableUsableAlreadyIsNotHeld() {
        assertThat(waiters.await(() -> true, TimeUnit.MINUTES.toMillis(10))).isDone();
        assertThat(waiters.waiting()).isZero();
    }

    @Test
    void aWaiterWhoseTableNeverBecomesUsableIsReleasedAfterItsBound() throws Exception {
        long start = System.nanoTime();
        waiters.await(() -> false, 50).get(10, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(50);
        assertThat(waiters.waiting()).isZero();
    }

    @Test
    void aCheckThatFailsReleasesItsWaiterInsteadOfBreakingTheRecheck() throws Exception {
        AtomicBoolean broken = new AtomicBoolean();
        CompletableFuture<Void> failing = waiters.await(() -> {
            if (broken.get()) {
                throw new IllegalStateException("catalog gone");
            }
            return false;
        }, TimeUnit.MINUTES.toMillis(10));
        AtomicBoolean usable = new AtomicBoolean();
        CompletableFuture<Void> other = waiters.await(usable::get, TimeUnit.MINUTES.toMillis(10));

        broken.set(true);
        usable.set(true);
        waiters.recheck();

        failing.get(10, TimeUnit.SECONDS);
        other.get(10, TimeUnit.SECONDS);
    }
}
