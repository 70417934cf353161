package basalt.cli;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.consensus.wal.Wal;
import basalt.consensus.wal.WalOptions;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * The measurement behind {@code basalt perf wal}, two workloads on the same directory, alternated in
 * slices of about a second:
 * <ol>
 *   <li>raw fsync: one thread appends one record's bytes to a plain file and fsyncs it, repeatedly: the
 *       rate a log without group commit could reach on this disk;</li>
 *   <li>WAL: N appender threads each append one record to a fresh {@link Wal} and wait until it is
 *       durable ({@link Wal#syncBlocking()}), repeatedly. Group commit lets them share fsyncs.</li>
 * </ol>
 * Latency percentiles are of append-to-durable per record (what a Raft leader waits for), which
 * includes the fsync a record rides on.
 */
final class WalPerf {
    private WalPerf() {}

    record Result(int appenders, int recordBytes, double seconds, long ops, long fsyncs, double opsPerSec,
            double mbPerSec, double p50Ms, double p99Ms, double rawSeconds, long rawFsyncs, double rawFsyncPerSec) {
        double groupCommitSpeedup() {
            return rawFsyncPerSec > 0 ? opsPerSec / rawFsyncPerSec : 0;
        }

        String toJson() {
            return "{"
                    + "\"ops_per_sec\": " + PerfWalCommand.formatDouble(opsPerSec)
                    + ", \"mb_per_sec\": " + PerfWalCommand.formatDouble(mbPerSec)
                    + ", \"fsync_p50_ms\": " + PerfWalCommand.formatDouble(p50Ms)
                    + ", \"fsync_p99_ms\": " + PerfWalCommand.formatDouble(p99Ms)
                    + ", \"latency_kind\": \"append_to_durable\""
                    + ", \"raw_fsync_per_sec\": " + PerfWalCommand.formatDouble(rawFsyncPerSec)
                    + ", \"group_commit_speedup\": " + PerfWalCommand.formatDouble(groupCommitSpeedup())
                    + ", \"appenders\": " + appenders
                    + ", \"record_bytes\": " + recordBytes
                    + ", \"seconds\": " + PerfWalCommand.formatDouble(seconds)
                    + ", \"ops\": " + ops
                    + ", \"fsyncs\": " + fsyncs
                    + ", \"records_per_fsync\": " + PerfWalCommand.formatDouble(fsyncs > 0 ? (double) ops / fsyncs : 0)
                    + ", \"raw_fsync_seconds\": " + PerfWalCommand.formatDouble(rawSeconds)
                    + ", \"raw_fsyncs\": " + rawFsyncs
                    + "}";
        }

        String toText() {
            return String.format(java.util.Locale.ROOT, """
                    WAL group commit: %d appenders, %d-byte records, %.1f s
                      throughput        %.0f ops/s, %.3f MB/s (%d ops, %d fsyncs, %.1f records per fsync)
                      append-to-durable p50 %.3f ms, p99 %.3f ms
                      raw fsync         %.0f fsyncs/s (one writer, one record + one fsync per op, %.1f s)
                      speedup           %.2fx the raw fsync rate""",
                    appenders, recordBytes, seconds, opsPerSec, mbPerSec, ops, fsyncs,
                    fsyncs > 0 ? (double) ops / fsyncs : 0, p50Ms, p99Ms, rawFsyncPerSec, rawSeconds, groupCommitSpeedup());
        }
    }

    static Result run(Path dir, int appenders, int recordBytes, Duration walDuration, Duration rawDuration)
            throws IOException, InterruptedException, ExecutionException {
        Files.createDirectories(dir);
        Path workDir = Files.createTempDirectory(dir, "perf-wal-");
        ExecutorService pool = Executors.newFixedThreadPool(appenders);
        // Other processes share this machine's disk and cores, and their load drifts. Alternating raw and
        // WAL slices of about a second each exposes both measurements to the same drift, so their ratio
        // (the group-commit speedup) is far steadier than with one long phase of each.
        int rounds = (int) Math.max(1, Math.round(walDuration.toMillis() / 1000.0));
        try (Wal wal = Wal.open(workDir.resolve("wal"), WalOptions.defaults());
                FileChannel rawFile = FileChannel.open(workDir.resolve("raw-fsync.dat"), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
            Totals totals = new Totals();
            for (int round = 0; round < rounds; round++) {
                measureRawFsync(rawFile, recordBytes, rawDuration.dividedBy(rounds), totals);
                measureWal(wal, pool, appenders, recordBytes, walDuration.dividedBy(rounds), totals);
            }
            double seconds = totals.walNanos / 1e9;
            double rawSeconds = totals.rawNanos / 1e9;
            long ops = totals.latencyNanos.getTotalCount();
            double opsPerSec = ops / seconds;
            return new Result(appenders, recordBytes, seconds, ops, totals.walFsyncs, opsPerSec,
                    opsPerSec * recordBytes / 1e6,
                    totals.latencyNanos.getValueAtPercentile(50) / 1e6, totals.latencyNanos.getValueAtPercentile(99) / 1e6,
                    rawSeconds, totals.rawFsyncs, totals.rawFsyncs / rawSeconds);
        } finally {
            pool.shutdownNow();
            deleteRecursively(workDir);
        }
    }

    /** Sums over the rounds. */
    private static final class Totals {
        long rawFsyncs;
        long rawNanos;
        long rawPositionBytes;
        long walFsyncs;
        long walNanos;
        /** Append-to-durable per record: up to 60 s in nanoseconds, 3 significant digits. */
        final Histogram latencyNanos = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    }

    /** One writer, one record and one fsync per op: what a log without group commit gets from this disk. */
    private static void measureRawFsync(FileChannel channel, int recordBytes, Duration duration, Totals totals)
            throws IOException {
        ByteBuffer record = ByteBuffer.allocate(Math.max(1, recordBytes));
        long startNanos = System.nanoTime();
        long deadlineNanos = startNanos + duration.toNanos();
        // Bounded by the deadline.
        while (System.nanoTime() < deadlineNanos) {
            record.clear();
            totals.rawPositionBytes += channel.write(record, totals.rawPositionBytes);
            channel.force(false);
            totals.rawFsyncs++;
        }
        totals.rawNanos += System.nanoTime() - startNanos;
    }

    private static void measureWal(Wal wal, ExecutorService pool, int appenders, int recordBytes, Duration duration,
            Totals totals) throws InterruptedException, ExecutionException {
        ByteString payload = ByteString.copyFrom(new byte[recordBytes]);
        Object indexLock = new Object();
        long fsyncsBefore = wal.fsyncCount();
        long startNanos = System.nanoTime();
        long deadlineNanos = startNanos + duration.toNanos();
        List<Future<Histogram>> futures = new ArrayList<>();
        for (int t = 0; t < appenders; t++) {
            futures.add(pool.submit(() -> {
                Histogram latencyNanos = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
                // Bounded by the deadline.
                while (System.nanoTime() < deadlineNanos) {
                    long appendNanos = System.nanoTime();
                    synchronized (indexLock) {
                        // Appenders must agree on the next index; the WAL itself checks contiguity.
                        long index = wal.lastIndex() + 1;
                        wal.append(List.of(new Entry(new OpId(1, index), EntryType.NORMAL, payload)));
                    }
                    wal.syncBlocking();
                    latencyNanos.recordValue(Math.min(System.nanoTime() - appendNanos, latencyNanos.getHighestTrackableValue()));
                }
                return latencyNanos;
            }));
        }
        for (Future<Histogram> future : futures) {
            totals.latencyNanos.add(future.get());
        }
        totals.walNanos += System.nanoTime() - startNanos;
        totals.walFsyncs += wal.fsyncCount() - fsyncsBefore;
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
