package basalt.itest.tablet;

import basalt.common.check.Check;
import basalt.itest.cluster.Poll;
import basalt.itest.workload.TabletClient;
import basalt.itest.workload.TestTables;
import basalt.proto.RowOperationPB;
import basalt.proto.WriteResponsePB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A writer thread for the failure tests: UPSERTs of unique keys, each key written once with a value no
 * other write uses, in batches of {@code rowsPerWrite}. It records every key it tried with its value
 * ({@link #attempted}) and every key a write acknowledged ({@link #acked}), plus the time of each
 * acknowledgement, so a test can check that no acknowledged write was lost, that no row was made up, and
 * how long writes stalled around a fault. A write whose outcome is unknown (deadline passed, ABORTED) is
 * counted and its keys are never written again, so each key has at most one value in its whole history.
 * Bounded by a number of writes and a wall-clock budget.
 */
final class AckedWriter implements AutoCloseable {
    private final TabletClient client;
    private final int rowsPerWrite;
    private final int valuePadBytes;
    private final int maxWrites;
    private final long endNanos;
    private final Duration writeDeadline;
    private final Map<Long, String> attempted = new ConcurrentHashMap<>();
    private final Map<Long, String> acked = new ConcurrentHashMap<>();
    /** Nanos of each acknowledgement, in order (one thread writes, so in increasing order). */
    private final List<Long> ackNanos = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;
    private volatile boolean stopping;
    private volatile int unknownOutcomes;
    private volatile Throwable failure;
    private volatile String lastProblem = "none";

    AckedWriter(TabletClient client, int rowsPerWrite, int valuePadBytes, int maxWrites, Duration budget,
                Duration writeDeadline) {
        Check.arg(rowsPerWrite >= 1 && maxWrites >= 1, "rowsPerWrite %s and maxWrites %s must be >= 1", rowsPerWrite,
                maxWrites);
        this.client = client;
        this.rowsPerWrite = rowsPerWrite;
        this.valuePadBytes = valuePadBytes;
        this.maxWrites = maxWrites;
        this.endNanos = System.nanoTime() + budget.toNanos();
        this.writeDeadline = writeDeadline;
        this.thread = new Thread(this::run, "acked-writer");
        this.thread.setDaemon(true);
    }

    /** Single-row writes of short values, at most 20,000 writes in 50 s, each retried for up to 10 s. */
    static AckedWriter singleRows(TabletClient client) {
        return new AckedWriter(client, 1, 0, 20_000, Duration.ofSeconds(50), Duration.ofSeconds(10));
    }

    AckedWriter start() {
        thread.start();
        return this;
    }

    private void run() {
        String pad = "x".repeat(valuePadBytes);
        long nextKey = 0;
        try {
            for (int write = 0; write < maxWrites && !stopping && System.nanoTime() < endNanos; write++) {
                List<RowOperationPB> batch = new ArrayList<>(rowsPerWrite);
                long first = nextKey;
                for (int i = 0; i < rowsPerWrite; i++) {
                    long key = nextKey++;
                    String value = "v" + key + "-w" + write + pad;
                    attempted.put(key, value);
                    batch.add(TestTables.upsert(key, value));
                }
                WriteResponsePB response;
                try {
                    response = client.write(TestTables.write(batch), writeDeadline);
                } catch (TabletClient.CallFailedException e) {
                    unknownOutcomes++; // maybe applied, maybe not: its keys are never written again
                    lastProblem = e.getMessage();
                    continue;
                }
                Check.state(response.getRowErrorsCount() == 0, "an UPSERT of fresh keys from %s failed: %s", first,
                        response.getRowErrorsList());
                long now = System.nanoTime();
                for (long key = first; key < nextKey; key++) {
                    acked.put(key, attempted.get(key));
                }
                ackNanos.add(now);
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Waits until {@code count} writes were acknowledged after {@code sinceNanos}. */
    void awaitAcksAfter(long sinceNanos, int count, Duration timeout) {
        Poll.until(count + " acknowledged writes (have " + acksAfter(sinceNanos) + ", unknown outcomes "
                + unknownOutcomes + ", last problem: " + lastProblem + ")", timeout, () -> {
            if (failure != null || !thread.isAlive()) {
                throw new Poll.AbortWait("the writer stopped: " + failure + "; last problem: " + lastProblem, failure);
            }
            return acksAfter(sinceNanos) >= count;
        });
    }

    int acksAfter(long sinceNanos) {
        synchronized (ackNanos) {
            int n = 0;
            for (int i = ackNanos.size() - 1; i >= 0 && ackNanos.get(i) > sinceNanos; i--) {
                n++;
            }
            return n;
        }
    }

    /**
     * How long writes stalled across an event: the longest gap between consecutive acknowledgements from the
     * last one at or before {@code eventNanos} through the {@code acksAfter}-th one after it. (Not just the
     * gap around the event: a response already on its way when the event hits lands right after it.) Empty
     * when there is no acknowledgement before the event or fewer than {@code acksAfter} after it.
     */
    Optional<Duration> stallAround(long eventNanos, int acksAfter) {
        synchronized (ackNanos) {
            int first = -1;
            for (int i = 0; i < ackNanos.size() && ackNanos.get(i) <= eventNanos; i++) {
                first = i;
            }
            if (first < 0 || first + acksAfter >= ackNanos.size()) {
                return Optional.empty();
            }
            long longest = 0;
            for (int i = first; i < first + acksAfter; i++) {
                longest = Math.max(longest, ackNanos.get(i + 1) - ackNanos.get(i));
            }
            return Optional.of(Duration.ofNanos(longest));
        }
    }

    /** Stops the thread (bounded wait) and fails if it failed. */
    void stop() {
        stopping = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the writer", e);
        }
        Check.state(!thread.isAlive(), "the writer did not stop within 30 s");
        if (failure != null) {
            throw new IllegalStateException("the writer failed", failure);
        }
    }

    Map<Long, String> acked() {
        return Map.copyOf(acked);
    }

    Map<Long, String> attempted() {
        return Map.copyOf(attempted);
    }

    int unknownOutcomes() {
        return unknownOutcomes;
    }

    int writesAcked() {
        return ackNanos.size();
    }

    @Override
    public void close() {
        stopping = true;
    }
}
