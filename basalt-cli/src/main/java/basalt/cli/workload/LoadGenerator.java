package basalt.cli.workload;

import basalt.client.BasaltClient;
import basalt.client.BasaltTable;
import basalt.client.Operation;
import basalt.client.OperationResponse;
import basalt.client.RowError;
import basalt.client.Session;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Writes new rows {@code (id INT64 KEY, int_val INT64, string_val STRING)} into a table through the public
 * client ({@link BasaltClient}), one {@link Session} per thread, so it measures what an application using
 * the client gets. It stops after {@code rows} rows or at the end time, whichever is set. Ids are distinct
 * across threads (thread t writes t, t + threads, ...).
 * <ul>
 *   <li>{@code batch} 1: each thread writes one row at a time in AUTO_FLUSH_SYNC. Latency is per row, from
 *       {@code apply} until it returns acknowledged.</li>
 *   <li>{@code batch} B &gt; 1: each thread applies rows in AUTO_FLUSH_BACKGROUND with batches of B per
 *       tablet and the client's pipeline of batches in flight, like {@code kudu perf loadgen}. A row is not
 *       acknowledged on its own there, so latency is per batch: from the session sending it to its outcome
 *       being known, retries included (the {@link Session.BatchListener}); the time a row waits in the
 *       buffer for its batch to fill is not in it.</li>
 * </ul>
 */
public final class LoadGenerator {
    /** What a run did; latencies in milliseconds. */
    public record Result(long rows, long errors, double seconds, double p50Ms, double p99Ms, String firstError) {
        public double rowsPerSecond() {
            return seconds > 0 ? rows / seconds : 0;
        }
    }

    private final BasaltClient client;
    private final BasaltTable table;
    private final int threads;
    private final int batch;
    private final int mutationBufferSpace;
    private final Duration writeTimeout;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong claimed = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>("");
    private final Recorder latencies = new Recorder(3);

    /** {@code writeTimeout} bounds each row (batch 1) or batch, and a wait for buffer space. */
    public LoadGenerator(BasaltClient client, BasaltTable table, int threads, int batch, Duration writeTimeout) {
        this.client = client;
        this.table = table;
        this.threads = threads;
        this.batch = batch;
        this.writeTimeout = writeTimeout;
        // Room for the client's two batches in flight to every tablet and one filling, as Kudu's loadgen
        // sizes its buffer: a smaller buffer would block apply before the pipeline is full.
        int tablets = Math.max(1, table.partitionSchema().getHashBuckets());
        this.mutationBufferSpace = (int) Math.min(Integer.MAX_VALUE, Math.max(10_000L, 2L * batch * tablets));
    }

    /**
     * Runs until {@code maxRows} rows were attempted (0: no row limit) or {@code duration} passed (null: no
     * time limit); one of the two must be set. {@code progress} gets a line per interval, or null for none.
     */
    public Result run(long maxRows, Duration duration, ProgressBar progress) throws InterruptedException {
        long start = System.nanoTime();
        long end = duration == null ? Long.MAX_VALUE : start + duration.toNanos();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread worker = new Thread(() -> runThread(thread, maxRows, end), "loadgen-" + t);
            workers.add(worker);
            worker.start();
        }
        Histogram all = new Histogram(3);
        for (Thread worker : workers) {
            // Bounded: a worker stops at the row count or the end time, each write within writeTimeout.
            while (worker.isAlive()) {
                worker.join(200);
                if (progress != null) {
                    progress.show(written.get() + errors.get(), maxRows, System.nanoTime() - start,
                            duration == null ? 0 : duration.toNanos());
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (progress != null) {
            progress.finish();
        }
        all.add(latencies.getIntervalHistogram());
        return new Result(written.get(), errors.get(), seconds,
                all.getTotalCount() == 0 ? 0 : all.getValueAtPercentile(50) / 1e6,
                all.getTotalCount() == 0 ? 0 : all.getValueAtPercentile(99) / 1e6, firstError.get());
    }

    private void runThread(int thread, long maxRows, long endNanos) {
        Session session = client.newSession().setTimeout(writeTimeout);
        if (batch > 1) {
            session.setFlushMode(Session.FlushMode.AUTO_FLUSH_BACKGROUND).setBatchMaxOps(batch)
                    .setMutationBufferSpace(mutationBufferSpace).setBatchListener(this::batchFinished);
        }
        try {
            long sequence = 0;
            // Bounded by maxRows or endNanos (the caller sets one).
            while (System.nanoTime() < endNanos) {
                int size = batch;
                if (maxRows > 0) {
                    long first = claimed.getAndAdd(batch);
                    if (first >= maxRows) {
                        break;
                    }
                    size = (int) Math.min(batch, maxRows - first);
                }
                for (int i = 0; i < size; i++) {
                    write(session, (sequence++) * threads + thread);
                }
            }
            session.close(); // flushes what is buffered; every batch's listener call has run when it returns
        } catch (RuntimeException e) {
            // Not a row's error (those are counted where they come back): the thread cannot go on.
            errors.incrementAndGet();
            noteError("thread loadgen-" + thread + " stopped: " + e.getMessage());
        }
        for (RowError error : session.pendingErrors().errors()) {
            noteError(error.toString());
        }
    }

    private void write(Session session, long id) {
        Operation insert = table.newInsert();
        insert.row().addLong("id", id).addLong("int_val", id * 7)
                .addString("string_val", "row-" + id + "-" + Long.toHexString(id * 0x9E3779B97F4A7C15L));
        long applied = System.nanoTime();
        OperationResponse response;
        try {
            response = session.apply(insert);
        } catch (RuntimeException e) {
            // The row was not sent (its tablet could not be found, or no buffer space within the timeout).
            errors.incrementAndGet();
            noteError("id " + id + ": " + e.getMessage());
            return;
        }
        if (response == null) {
            return; // buffered: batchFinished counts it
        }
        latencies.recordValue(Math.max(1, System.nanoTime() - applied));
        if (response.hasRowError()) {
            errors.incrementAndGet();
            noteError(response.rowError().get().toString());
        } else {
            written.incrementAndGet();
        }
    }

    private void batchFinished(Session.BatchOutcome outcome) {
        latencies.recordValue(Math.max(1, outcome.latencyNanos()));
        written.addAndGet(outcome.operations() - outcome.failedOperations());
        errors.addAndGet(outcome.failedOperations());
    }

    private void noteError(String why) {
        firstError.compareAndSet("", why);
    }

    /** A one-line progress bar redrawn in place with a carriage return; for terminals only. */
    public static final class ProgressBar {
        private static final int WIDTH = 30;
        private final PrintWriter err;
        private final long startNanos = System.nanoTime();

        public ProgressBar(PrintWriter err) {
            this.err = err;
        }

        void show(long rows, long maxRows, long elapsedNanos, long durationNanos) {
            double fraction = maxRows > 0 ? (double) rows / maxRows : durationNanos > 0 ? (double) elapsedNanos / durationNanos : 0;
            fraction = Math.max(0, Math.min(1, fraction));
            int filled = (int) Math.round(fraction * WIDTH);
            double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
            err.printf(Locale.ROOT, "\r[%s%s] %3.0f%% %,d rows %,.0f rows/s ", "#".repeat(filled), " ".repeat(WIDTH - filled),
                    fraction * 100, rows, rows / seconds);
            err.flush();
        }

        void finish() {
            err.print("\r" + " ".repeat(WIDTH + 50) + "\r");
            err.flush();
        }
    }
}
