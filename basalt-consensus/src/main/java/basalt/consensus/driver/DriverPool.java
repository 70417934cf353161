package basalt.consensus.driver;

import basalt.common.check.Check;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads every group on a server shares: a small worker pool that runs groups' serial task queues,
 * and one timer that ticks every registered group each {@code tickMs}. A tablet server hosts thousands
 * of groups on 2 cores, so no group owns a thread.
 */
public final class DriverPool implements AutoCloseable {
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    /** Runs WAL fsyncs for every group; fsyncs block, so this pool is apart from the workers. */
    private final ExecutorService walSyncers;
    private final CopyOnWriteArrayList<GroupDriver> groups = new CopyOnWriteArrayList<>();
    private final long tickMs;
    private volatile basalt.consensus.wal.WalListener walListener = basalt.consensus.wal.WalListener.NONE;

    public DriverPool(int workerThreads, long tickMs) {
        Check.arg(workerThreads >= 1, "workerThreads %s must be >= 1", workerThreads);
        Check.arg(tickMs >= 1, "tickMs %s must be >= 1", tickMs);
        this.tickMs = tickMs;
        this.workers = Executors.newFixedThreadPool(workerThreads, daemonThreads("raft-worker"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemonThreads("raft-ticker"));
        this.walSyncers = Executors.newFixedThreadPool(WAL_SYNC_THREADS, daemonThreads("wal-sync"));
        timer.scheduleAtFixedRate(this::tickAll, tickMs, tickMs, TimeUnit.MILLISECONDS);
    }

    public long tickMs() {
        return tickMs;
    }

    /** Enough fsyncs in flight at once for the groups of one disk; each blocks its thread. */
    private static final int WAL_SYNC_THREADS = 8;

    /** Every WAL a group opens on this pool from now on reports to {@code listener} (a server's metrics). */
    public void setWalListener(basalt.consensus.wal.WalListener listener) {
        this.walListener = java.util.Objects.requireNonNull(listener);
    }

    basalt.consensus.wal.WalListener walListener() {
        return walListener;
    }

    ExecutorService workers() {
        return workers;
    }

    ExecutorService walSyncers() {
        return walSyncers;
    }

    void register(GroupDriver group) {
        groups.add(group);
    }

    void unregister(GroupDriver group) {
        groups.remove(group);
    }

    private void tickAll() {
        for (GroupDriver group : groups) {
            group.tick();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        workers.shutdownNow();
        walSyncers.shutdownNow();
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
