package basalt.cli.workload;

import basalt.cli.rpc.ClusterClient;
import basalt.cli.rpc.RpcFailedException;
import basalt.cli.rpc.TableRoute;
import basalt.proto.ColumnValuePB;
import basalt.proto.OperationType;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.TabletLocationPB;
import basalt.proto.ValuePB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Writes new rows {@code (id INT64 KEY, int_val INT64, string_val STRING)} into a table with
 * {@code threads} threads, each sending batches of {@code batch} INSERTs (one write RPC per tablet the
 * batch touches) and waiting for each before the next, like {@code kudu perf loadgen}. It stops after
 * {@code rows} rows or at {@code endNanos}, whichever is set. Latency is per write RPC, from send to
 * answer. Ids are distinct across threads (thread t writes t, t + threads, ...).
 */
public final class LoadGenerator {
    /** What a run did; latencies in milliseconds. */
    public record Result(long rows, long errors, double seconds, double p50Ms, double p99Ms, String firstError) {
        public double rowsPerSecond() {
            return seconds > 0 ? rows / seconds : 0;
        }
    }

    private final ClusterClient client;
    private final TableRoute table;
    private final int threads;
    private final int batch;
    private final Duration callDeadline;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong claimed = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicReference<String> firstError = new java.util.concurrent.atomic.AtomicReference<>("");
    private final Recorder latencies = new Recorder(3);

    public LoadGenerator(ClusterClient client, TableRoute table, int threads, int batch, Duration callDeadline) {
        this.client = client;
        this.table = table;
        this.threads = threads;
        this.batch = batch;
        this.callDeadline = callDeadline;
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
            // Bounded: a worker stops at the row count or the end time, each call within callDeadline.
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
        long sequence = 0;
        // Bounded by maxRows or endNanos (the caller sets one).
        while (System.nanoTime() < endNanos) {
            int size = batch;
            if (maxRows > 0) {
                long first = claimed.getAndAdd(batch);
                if (first >= maxRows) {
                    return;
                }
                size = (int) Math.min(batch, maxRows - first);
            }
            Map<TabletLocationPB, WriteRequestPB.Builder> byTablet = new LinkedHashMap<>();
            for (int i = 0; i < size; i++) {
                long id = (sequence++) * threads + thread;
                Object[] cells = {id, id, null};
                TabletLocationPB tablet = table.tabletFor(cells);
                byTablet.computeIfAbsent(tablet, t -> WriteRequestPB.newBuilder().setTabletId(t.getTabletId())
                        .setSchemaVersion(table.schema().version()))
                        .addOperations(RowOperationPB.newBuilder().setType(OperationType.INSERT).setRow(row(id)));
            }
            for (Map.Entry<TabletLocationPB, WriteRequestPB.Builder> entry : byTablet.entrySet()) {
                send(entry.getKey(), entry.getValue().build());
            }
        }
    }

    private void send(TabletLocationPB tablet, WriteRequestPB request) {
        long sent = System.nanoTime();
        try {
            WriteResponsePB response = client.write(tablet.getTabletId(), TableRoute.replicas(tablet), request, callDeadline);
            latencies.recordValue(Math.max(1, System.nanoTime() - sent));
            if (response.hasError()) {
                errors.addAndGet(request.getOperationsCount());
                noteError(tablet, response.getError().getCode() + " " + response.getError().getMessage());
            } else {
                errors.addAndGet(response.getRowErrorsCount());
                if (response.getRowErrorsCount() > 0) {
                    noteError(tablet, response.getRowErrors(0).getError().getCode() + " "
                            + response.getRowErrors(0).getError().getMessage());
                }
                written.addAndGet(request.getOperationsCount() - response.getRowErrorsCount());
            }
        } catch (RpcFailedException e) {
            errors.addAndGet(request.getOperationsCount());
            noteError(tablet, e.getMessage());
        }
    }

    private void noteError(TabletLocationPB tablet, String why) {
        firstError.compareAndSet("", "tablet " + tablet.getTabletId() + ": " + why);
    }

    private static RowPB row(long id) {
        return RowPB.newBuilder()
                .addValues(ColumnValuePB.newBuilder().setColumn(0).setValue(ValuePB.newBuilder().setIntValue(id)))
                .addValues(ColumnValuePB.newBuilder().setColumn(1).setValue(ValuePB.newBuilder().setIntValue(id * 7)))
                .addValues(ColumnValuePB.newBuilder().setColumn(2).setValue(ValuePB.newBuilder()
                        .setStringValue("row-" + id + "-" + Long.toHexString(id * 0x9E3779B97F4A7C15L))))
                .build();
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
