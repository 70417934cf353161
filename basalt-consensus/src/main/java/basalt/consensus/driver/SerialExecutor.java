package basalt.consensus.driver;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one group's tasks one at a time, in order, on a shared pool: the core needs no locks, and
 * thousands of groups share a couple of threads. A drain runs a bounded batch and then yields the
 * thread, so one busy group cannot starve the others. The queue is bounded by {@code capacity}.
 */
final class SerialExecutor {
    private static final int TASKS_PER_DRAIN = 64;

    private final Executor pool;
    private final int capacity;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final java.util.function.Consumer<Throwable> onFailure;

    SerialExecutor(Executor pool, int capacity, java.util.function.Consumer<Throwable> onFailure) {
        this.pool = pool;
        this.capacity = capacity;
        this.onFailure = onFailure;
    }

    /** Queues a task; returns false (and drops it) when the queue is full. */
    boolean offer(Runnable task) {
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            return false;
        }
        tasks.add(task);
        maybeSchedule();
        return true;
    }

    /** Queues a task that must not be dropped (durability completions, close). */
    void execute(Runnable task) {
        queued.incrementAndGet();
        tasks.add(task);
        maybeSchedule();
    }

    int queued() {
        return queued.get();
    }

    private void maybeSchedule() {
        if (scheduled.compareAndSet(false, true)) {
            pool.execute(this::drain);
        }
    }

    private void drain() {
        try {
            for (int i = 0; i < TASKS_PER_DRAIN; i++) {
                Runnable task = tasks.poll();
                if (task == null) {
                    break;
                }
                queued.decrementAndGet();
                try {
                    task.run();
                } catch (Throwable failure) {
                    onFailure.accept(failure);
                }
            }
        } finally {
            scheduled.set(false);
            if (!tasks.isEmpty()) {
                maybeSchedule();
            }
        }
    }
}
