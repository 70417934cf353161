package basalt.master;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * IsCreateTableDone calls that hold their answer until the table is usable (a long poll). Each waits on
 * a check; the check runs again whenever a heartbeat brings news that can finish a creation (a tablet
 * of a creating table got a ready leader), and a waiter whose check holds is released at once. Every
 * waiter is released after its bound anyway, so a call is always answered: after an election, a lost
 * report or a table deleted meanwhile, the caller simply gets the answer of that moment.
 *
 * <p>Why: a client that sleeps between polls learns a table is usable up to one sleep late (the Java
 * client backs off 5, 10, 20 ms...), and polling every few milliseconds instead costs an RPC each on
 * both sides; held answers cost neither.
 */
final class CreateTableWaiters {
    private record Waiter(BooleanSupplier done, CompletableFuture<Void> released) {}

    private final Set<Waiter> waiting = ConcurrentHashMap.newKeySet();

    /**
     * Completes once {@code done} holds (checked now and at each {@link #recheck()}) or after
     * {@code waitMs}, whichever comes first. It never completes exceptionally.
     */
    CompletableFuture<Void> await(BooleanSupplier done, long waitMs) {
        Waiter waiter = new Waiter(done, new CompletableFuture<>());
        waiting.add(waiter);
        waiter.released().whenComplete((ignored, failure) -> waiting.remove(waiter));
        // Checked after registering: news that arrived between the caller's own check and the add is not lost.
        if (done.getAsBoolean()) {
            waiter.released().complete(null);
        } else {
            waiter.released().completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS);
        }
        return waiter.released();
    }

    /** Releases every waiter whose check now holds. Cheap when nobody waits. */
    void recheck() {
        for (Waiter waiter : waiting) {
            boolean release;
            try {
                release = waiter.done().getAsBoolean();
            } catch (RuntimeException e) {
                release = true; // the caller's own answer will say what is wrong
            }
            if (release) {
                waiter.released().complete(null);
            }
        }
    }

    int waiting() {
        return waiting.size();
    }
}
