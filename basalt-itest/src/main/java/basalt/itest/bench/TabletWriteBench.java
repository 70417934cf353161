package basalt.itest.bench;

import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.workload.TabletClient;
import basalt.itest.workload.TestTables;
import basalt.proto.ColumnValuePB;
import basalt.proto.CreateTabletResponsePB;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.OperationType;
import basalt.proto.PeerPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.TabletReportPB;
import basalt.proto.ValuePB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * Replicated tablet writes on a 3-tablet-server mini cluster of real JVMs, one 3-replica tablet created
 * directly on every server (no master), every write fsynced on a majority before it is acknowledged:
 *
 * <ul>
 *   <li>(a) throughput: one writer thread, {@code --batch} INSERTs of 100-byte values per WriteRequest,
 *       with up to {@code --inflight} requests outstanding (2 matches the two mutation buffers of
 *       {@code kudu perf loadgen}'s background flush); rows/s per second of the run, cold (the first
 *       {@code --cold} seconds) and warm (after {@code --warmup} seconds); the servers' CPU per warm row,
 *       whole, without the JIT compiler threads, and also net of the servers' idle CPU ({@code --idle}
 *       seconds measured before the run, 0 to skip);</li>
 *   <li>(b) latency: one writer, one-row INSERTs one after another; p50/p99 over {@code --latency_writes}
 *       writes after {@code --latency_warmup} writes;</li>
 *   <li>(c) stall: one writer of one-row UPSERTs; kill -9 of the tablet leader's process; the longest gap
 *       between successful writes from 1 s before the kill to the end; {@code --trials} times, restarting
 *       the killed server between trials.</li>
 * </ul>
 * Rows go as one packed block per request ({@code --rows=packed}, the default) or as protobuf operations
 * ({@code --rows=protobuf}), to compare the two with one build.
 * The client is given every replica's address, dead or alive, as a real client would be.
 * Every loop is bounded by a count and by time. Prints one JSON document, then human lines, on stdout.
 *
 * <p>Not a test: it lives in main so {@code mvn verify} never runs it. See BENCHMARKS.md for the command.
 */
public final class TabletWriteBench {
    static final String TABLET = "be0c4be0c4be0c4be0c4be0c4be0c4be";
    private static final String VALUE_100 = "x".repeat(100);
    /**
     * The value cell, built once and held as UTF-8 bytes, so the client spends its time on the wire and not on
     * building five messages and encoding the string per row (kudu perf loadgen, the yardstick, is C++ too).
     */
    private static final ColumnValuePB VALUE_CELL = ColumnValuePB.newBuilder().setColumn(1)
            .setValue(ValuePB.newBuilder().setStringValueBytes(ByteString.copyFromUtf8(VALUE_100))).build();

    /**
     * Server JVMs as {@code bin/basalt tserver} runs them (JDK defaults: C2, G1), with a fixed 1 GB heap. Fixed
     * (-Xms = -Xmx, as servers are usually deployed) because G1 otherwise starts the heap at a few tens of MB
     * and keeps it there under a light load: a young collection every 0.5-2 s and frequent concurrent cycles
     * (10 ms remark pauses) on each server during one-row writes, which cost the p99 (1.7-3.1 ms against
     * 1.2-1.9 ms with the heap fixed, alternating runs of --parts=b).
     */
    static final List<String> SERVER_JVM = List.of("-Xms1g", "-Xmx1g", "-Xss512k", "-XX:-UsePerfData",
            "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED", "-Djava.net.preferIPv4Stack=true");

    private final Map<String, String> args;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final List<String> human = new ArrayList<>();

    private TabletWriteBench(Map<String, String> args) {
        this.args = args;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String arg : argv) {
            String[] kv = arg.replaceFirst("^--", "").split("=", 2);
            args.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        new TabletWriteBench(args).run();
        System.exit(0);
    }

    private boolean packed() {
        String rows = args.getOrDefault("rows", "packed");
        if (!rows.equals("packed") && !rows.equals("protobuf")) {
            throw new IllegalArgumentException("--rows is 'packed' or 'protobuf', not '" + rows + "'");
        }
        return rows.equals("packed");
    }

    /** INSERTs of ids {@code first ... first + count - 1}, each with the 100-byte value, in the chosen row format. */
    private WriteRequestPB inserts(long first, int count) {
        if (packed()) {
            return TestTables.packedWrite(OperationType.INSERT, first, count, VALUE_100);
        }
        List<RowOperationPB> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ops.add(insert(first + i));
        }
        return TestTables.write(ops);
    }

    private int intArg(String name, int def) {
        return Integer.parseInt(args.getOrDefault(name, String.valueOf(def)));
    }

    private void run() throws Exception {
        String parts = args.getOrDefault("parts", "a,b,c");
        Path dir = Path.of(args.getOrDefault("dir", "/tmp/basalt-tablet-bench"));
        deleteRecursively(dir);
        Files.createDirectories(dir);
        List<String> jvm = new ArrayList<>(SERVER_JVM);
        if (args.containsKey("jvm")) {
            jvm.addAll(Arrays.asList(args.get("jvm").split(" ")));
        }
        json.put("server_jvm_options", String.join(" ", jvm));
        json.put("rows", packed() ? "packed" : "protobuf");
        try (ExternalMiniCluster cluster = ExternalMiniCluster.builder().rootDir(dir).numTabletServers(3)
                .jvmOptions(jvm).start()) {
            if (args.containsKey("keep")) {
                cluster.keepFiles(); // the servers' logs stay in --dir, to read what an outlier trial did
            }
            createTablet(cluster);
            awaitLeader(cluster, Duration.ofSeconds(30));
            // (a) and (b): a long RPC timeout, so a batch slowed down by the shared cores is never retried (a
            // retried INSERT batch would fail with ALREADY_PRESENT). (c): 2 s, so a call to a dead server ends.
            try (TabletClient patient = client(cluster, Duration.ofSeconds(30));
                 TabletClient failover = client(cluster, Duration.ofSeconds(2))) {
                if (parts.contains("a")) {
                    throughput(cluster, patient);
                }
                if (parts.contains("b")) {
                    latency(patient);
                }
                if (parts.contains("c")) {
                    stall(cluster, failover);
                }
            } catch (RuntimeException e) {
                System.out.println("FAILED: " + e + (e.getCause() != null ? " caused by " + e.getCause() : ""));
                throw e;
            }
        }
        human.add(0, "rows sent as " + json.get("rows"));
        System.out.println(toJson(json));
        human.forEach(System.out::println);
    }

    // ---------------------------------------------------------------- (a)

    private void throughput(ExternalMiniCluster cluster, TabletClient client) throws Exception {
        int batch = intArg("batch", 1000);
        int inflight = intArg("inflight", 2);
        int warmupS = intArg("warmup", 30);
        int seconds = intArg("seconds", 30);
        int coldS = intArg("cold", 5);
        int total = warmupS + seconds;
        // The servers' CPU with no writes yet (heartbeats, timers; JIT threads left out), measured before the
        // run so no flush or compaction of its rows falls in it: at a low, load-dependent rate this fixed CPU
        // is a large and varying part of the CPU per row, so runs at different rates compare only without it.
        int idleSeconds = intArg("idle", 5);
        long idleNonJitTicks = 0;
        if (idleSeconds > 0) {
            long[] idleStart = serverCpuTicks(cluster);
            Map<String, Long> idleJitStart = jitCpuTicks(cluster);
            Thread.sleep(idleSeconds * 1000L); // measuring an interval: nothing to wait for but time
            idleNonJitTicks = sum(serverCpuTicks(cluster)) - sum(idleStart) - jitDelta(idleJitStart, jitCpuTicks(cluster));
        }
        long[] rowsPerSecond = new long[total];
        AtomicLong nextId = new AtomicLong(1_000_000_000L);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Semaphore slots = new Semaphore(inflight);
        ExecutorService rpcs = Executors.newFixedThreadPool(inflight);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(total);
        long warmStart = start + TimeUnit.SECONDS.toNanos(warmupS);
        long[] serverCpuAtWarmStart = null;
        Map<String, Long> jitAtWarmStart = Map.of();
        long warmStartedAt = 0;
        long requests = 0;
        // Bounded: ends at `total` seconds, and after at most 10^7 requests.
        while (System.nanoTime() < end && requests < 10_000_000 && failure.get() == null) {
            if (serverCpuAtWarmStart == null && System.nanoTime() >= warmStart) {
                serverCpuAtWarmStart = serverCpuTicks(cluster);
                jitAtWarmStart = jitCpuTicks(cluster);
                warmStartedAt = System.nanoTime();
            }
            WriteRequestPB request = inserts(nextId.getAndAdd(batch), batch);
            if (!slots.tryAcquire(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no write completed in 10 s");
            }
            requests++;
            rpcs.execute(() -> {
                try {
                    WriteResponsePB response = client.write(request, Duration.ofSeconds(30));
                    if (response.getRowErrorsCount() > 0) {
                        failure.compareAndSet(null, new IllegalStateException("row errors: " + response.getRowErrors(0)));
                    }
                    int second = (int) ((System.nanoTime() - start) / 1_000_000_000L);
                    if (second < total) {
                        synchronized (rowsPerSecond) {
                            rowsPerSecond[second] += batch;
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    slots.release();
                }
            });
        }
        slots.acquire(inflight);
        long warmEnd = System.nanoTime();
        long[] serverCpuAtEnd = serverCpuTicks(cluster);
        Map<String, Long> jitAtEnd = jitCpuTicks(cluster);
        rpcs.shutdown();
        if (failure.get() != null) {
            throw new IllegalStateException("throughput run failed", failure.get());
        }
        long cold = 0;
        for (int i = 0; i < coldS; i++) {
            cold += rowsPerSecond[i];
        }
        long[] warm = Arrays.copyOfRange(rowsPerSecond, warmupS, total);
        long warmSum = Arrays.stream(warm).sum();
        long[] sortedWarm = warm.clone();
        Arrays.sort(sortedWarm);
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("batch_rows", batch);
        a.put("value_bytes", 100);
        a.put("inflight_requests", inflight);
        a.put("cold_seconds", coldS);
        a.put("cold_rows_per_sec", cold / coldS);
        a.put("warmup_seconds", warmupS);
        a.put("warm_seconds", seconds);
        a.put("warm_rows_per_sec", warmSum / seconds);
        a.put("warm_1s_median", sortedWarm[sortedWarm.length / 2]);
        a.put("warm_1s_min", sortedWarm[0]);
        a.put("warm_1s_max", sortedWarm[sortedWarm.length - 1]);
        if (serverCpuAtWarmStart != null && warmSum > 0 && idleSeconds > 0) {
            double windowSeconds = (warmEnd - warmStartedAt) / 1e9;
            long nonJit = sum(serverCpuAtEnd) - sum(serverCpuAtWarmStart) - jitDelta(jitAtWarmStart, jitAtEnd);
            double idleTicksInWindow = (double) idleNonJitTicks / idleSeconds * windowSeconds;
            double netMicrosPerRow = (nonJit - idleTicksInWindow) * (1_000_000.0 / CLOCK_TICKS_PER_SECOND) / warmSum;
            a.put("servers_idle_cpu_percent", Math.round(idleNonJitTicks * 100.0 / CLOCK_TICKS_PER_SECOND / idleSeconds));
            a.put("warm_server_cpu_us_per_row_net", Math.round(netMicrosPerRow * 100) / 100.0);
            human.add(String.format(Locale.ROOT, "(a) net of JIT and of the servers' idle CPU (%.0f%% of a core, %d s"
                    + " measured before the run): %.2f us per row", idleNonJitTicks * 100.0 / CLOCK_TICKS_PER_SECOND
                    / idleSeconds, idleSeconds, netMicrosPerRow));
        }
        if (serverCpuAtWarmStart != null && warmSum > 0) {
            long ticks = 0;
            for (int i = 0; i < serverCpuAtEnd.length; i++) {
                ticks += serverCpuAtEnd[i] - serverCpuAtWarmStart[i];
            }
            // CPU of the three server processes per row written, warm: robust to what else shares the cores.
            double cpuMicrosPerRow = ticks * (1_000_000.0 / CLOCK_TICKS_PER_SECOND) / warmSum;
            a.put("warm_server_cpu_us_per_row", Math.round(cpuMicrosPerRow * 100) / 100.0);
            long jitTicks = jitDelta(jitAtWarmStart, jitAtEnd);
            double jitMicrosPerRow = jitTicks * (1_000_000.0 / CLOCK_TICKS_PER_SECOND) / warmSum;
            a.put("warm_server_jit_cpu_us_per_row", Math.round(jitMicrosPerRow * 100) / 100.0);
            human.add(String.format(Locale.ROOT, "(a) warm CPU of the 3 tablet servers: %.2f us per row, of which the"
                    + " JIT compiler threads %.2f (so %.2f without them)", cpuMicrosPerRow, jitMicrosPerRow,
                    cpuMicrosPerRow - jitMicrosPerRow));
        }
        a.put("rows_per_second_timeline", rowsPerSecond);
        json.put("throughput", a);
        human.add(String.format(Locale.ROOT, "(a) throughput, batch %d, %d in flight: cold (first %d s) %,d rows/s;"
                        + " warm (after %d s, %d s) %,d rows/s, 1-s windows median %,d (%,d-%,d)",
                batch, inflight, coldS, cold / coldS, warmupS, seconds, warmSum / seconds,
                sortedWarm[sortedWarm.length / 2], sortedWarm[0], sortedWarm[sortedWarm.length - 1]));
    }

    /**
     * utime + stime of each JIT compiler thread of the tablet servers, by pid/tid, in clock ticks. On 2 busy
     * cores C2 still compiles long after the warm-up, and its CPU would hide changes to the write path's own.
     * A compiler thread that ends between two readings (JDK's dynamic compiler threads) loses its share.
     */
    private static Map<String, Long> jitCpuTicks(ExternalMiniCluster cluster) {
        Map<String, Long> ticks = new java.util.HashMap<>();
        for (ExternalServer server : cluster.tabletServers()) {
            Path tasks = Path.of("/proc", String.valueOf(server.pid()), "task");
            try (java.util.stream.Stream<Path> threads = Files.list(tasks)) {
                for (Path thread : (Iterable<Path>) threads::iterator) {
                    try {
                        String stat = Files.readString(thread.resolve("stat"));
                        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                        if (name.startsWith("C1 Compi") || name.startsWith("C2 Compi")) {
                            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            ticks.put(server.pid() + "/" + thread.getFileName(),
                                    Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                        }
                    } catch (java.io.IOException | RuntimeException e) {
                        // the thread ended while we listed it
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // the server is gone; its compiler threads count as none
            }
        }
        return ticks;
    }

    private static long sum(long[] ticks) {
        return Arrays.stream(ticks).sum();
    }

    /** The compiler threads' ticks from {@code start} to {@code end} (a thread born in between counts from 0). */
    private static long jitDelta(Map<String, Long> start, Map<String, Long> end) {
        long ticks = 0;
        for (Map.Entry<String, Long> thread : end.entrySet()) {
            ticks += thread.getValue() - start.getOrDefault(thread.getKey(), 0L);
        }
        return ticks;
    }

    /** USER_HZ of Linux /proc/PID/stat times (100 on every mainstream kernel). */
    private static final int CLOCK_TICKS_PER_SECOND = 100;

    /** utime + stime of each tablet server process, from /proc (Linux only), in clock ticks. */
    private static long[] serverCpuTicks(ExternalMiniCluster cluster) {
        List<ExternalServer> servers = cluster.tabletServers();
        long[] ticks = new long[servers.size()];
        for (int i = 0; i < ticks.length; i++) {
            try {
                String stat = Files.readString(Path.of("/proc", String.valueOf(servers.get(i).pid()), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks[i] = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // fields 14 and 15 of stat
            } catch (java.io.IOException | RuntimeException e) {
                ticks[i] = 0;
            }
        }
        return ticks;
    }

    // ---------------------------------------------------------------- (b)

    private void latency(TabletClient client) {
        int warmup = intArg("latency_warmup", 20_000);
        int writes = intArg("latency_writes", 20_000);
        int maxSeconds = intArg("latency_max_seconds", 120);
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        Histogram coldHistogram = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        long id = 2_000_000_000L;
        long measuredStart = 0;
        int done = 0;
        // --latency_log=FILE: one line per measured write, "<epoch microseconds at send> <latency microseconds>",
        // to line slow writes up with the servers' GC and flush logs.
        long[] sentAtMicros = new long[writes];
        long[] tookMicros = new long[writes];
        long epochMicrosAtNano0 = System.currentTimeMillis() * 1000 - System.nanoTime() / 1000;
        for (int i = 0; i < warmup + writes && System.nanoTime() < deadline; i++) {
            WriteRequestPB request = inserts(id++, 1);
            long t0 = System.nanoTime();
            WriteResponsePB response = client.write(request, Duration.ofSeconds(30));
            long micros = (System.nanoTime() - t0) / 1000;
            if (response.getRowErrorsCount() > 0) {
                throw new IllegalStateException("row error " + response.getRowErrors(0));
            }
            if (i == warmup) {
                measuredStart = t0;
            }
            if (i < Math.min(warmup, 1000)) {
                coldHistogram.recordValue(micros);
            }
            if (i >= warmup) {
                histogram.recordValue(micros);
                sentAtMicros[done] = epochMicrosAtNano0 + t0 / 1000;
                tookMicros[done] = micros;
                done++;
            }
        }
        double seconds = (System.nanoTime() - measuredStart) / 1e9;
        if (args.containsKey("latency_log")) {
            StringBuilder lines = new StringBuilder();
            for (int w = 0; w < done; w++) {
                lines.append(sentAtMicros[w]).append(' ').append(tookMicros[w]).append('\n');
            }
            try {
                Files.writeString(Path.of(args.get("latency_log")), lines);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("warmup_writes", warmup);
        b.put("writes", done);
        b.put("ops_per_sec", Math.round(done / seconds));
        b.put("p50_ms", ms(histogram.getValueAtPercentile(50)));
        b.put("p99_ms", ms(histogram.getValueAtPercentile(99)));
        b.put("p999_ms", ms(histogram.getValueAtPercentile(99.9)));
        b.put("max_ms", ms(histogram.getMaxValue()));
        b.put("cold_first1000_p50_ms", ms(coldHistogram.getValueAtPercentile(50)));
        b.put("cold_first1000_p99_ms", ms(coldHistogram.getValueAtPercentile(99)));
        json.put("latency", b);
        human.add(String.format(Locale.ROOT, "(b) one-row writes, sequential: warm (after %d) p50 %.3f ms, p99 %.3f ms,"
                        + " p99.9 %.3f ms, max %.3f ms over %d writes (%d ops/s); cold (first 1000) p50 %.3f ms, p99 %.3f ms",
                warmup, ms(histogram.getValueAtPercentile(50)), ms(histogram.getValueAtPercentile(99)),
                ms(histogram.getValueAtPercentile(99.9)), ms(histogram.getMaxValue()), done, Math.round(done / seconds),
                ms(coldHistogram.getValueAtPercentile(50)), ms(coldHistogram.getValueAtPercentile(99))));
    }

    private static double ms(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }

    // ---------------------------------------------------------------- (c)

    private void stall(ExternalMiniCluster cluster, TabletClient client) throws Exception {
        int trials = intArg("trials", 5);
        List<Double> stalls = new ArrayList<>();
        List<Double> killToFirstWrite = new ArrayList<>();
        for (int trial = 0; trial < trials; trial++) {
            ExternalServer leader = awaitLeader(cluster, Duration.ofSeconds(30));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[] successes = new long[200_000];
            AtomicLong count = new AtomicLong();
            long writerEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            long baseId = 3_000_000_000L + trial * 1_000_000L;
            ExecutorService writer = Executors.newSingleThreadExecutor();
            Future<?> running = writer.submit(() -> {
                long id = baseId;
                // Bounded: 8 s and the size of the success log.
                while (System.nanoTime() < writerEnd && count.get() < successes.length) {
                    try {
                        client.write(TestTables.write(List.of(TestTables.upsert(id++, VALUE_100))), Duration.ofSeconds(10));
                        successes[(int) count.getAndIncrement()] = System.nanoTime();
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                }
            });
            Thread.sleep(2000);
            long killedAt = System.nanoTime();
            leader.kill();
            running.get(30, TimeUnit.SECONDS);
            writer.shutdown();
            if (failure.get() != null) {
                throw new IllegalStateException("stall trial " + trial + " failed", failure.get());
            }
            long from = killedAt - TimeUnit.SECONDS.toNanos(1);
            long previous = -1;
            long longest = 0;
            long firstAfter = -1;
            for (int i = 0; i < count.get(); i++) {
                long t = successes[i];
                if (t >= from) {
                    if (previous >= 0) {
                        longest = Math.max(longest, t - previous);
                    }
                    if (firstAfter < 0 && t > killedAt) {
                        firstAfter = t;
                    }
                }
                previous = t;
            }
            stalls.add(longest / 1e9);
            killToFirstWrite.add(firstAfter < 0 ? Double.NaN : (firstAfter - killedAt) / 1e9);
            human.add(String.format(Locale.ROOT, "(c) trial %d: killed %s; longest gap %.3f s; kill -> first write %.3f s",
                    trial, leader.name(), longest / 1e9, (firstAfter - killedAt) / 1e9));
            leader.startAgain(true);
            awaitAllCaughtUp(cluster, Duration.ofSeconds(60));
        }
        List<Double> sorted = new ArrayList<>(stalls);
        sorted.sort(null);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("trials", trials);
        c.put("stall_seconds", stalls);
        c.put("kill_to_first_write_seconds", killToFirstWrite);
        c.put("stall_median_s", sorted.get(sorted.size() / 2));
        c.put("stall_min_s", sorted.get(0));
        c.put("stall_max_s", sorted.get(sorted.size() - 1));
        json.put("stall", c);
        human.add(String.format(Locale.ROOT, "(c) write stall after kill -9 of the leader: median %.3f s (%.3f-%.3f) over %d trials",
                sorted.get(sorted.size() / 2), sorted.get(0), sorted.get(sorted.size() - 1), trials));
    }

    /** The same row as {@code TestTables.insert(id, VALUE_100)}, with the value cell shared. */
    static RowOperationPB insert(long id) {
        return RowOperationPB.newBuilder().setType(OperationType.INSERT).setRow(RowPB.newBuilder()
                .addValues(ColumnValuePB.newBuilder().setColumn(0).setValue(ValuePB.newBuilder().setIntValue(id)))
                .addValues(VALUE_CELL)).build();
    }

    // ---------------------------------------------------------------- cluster helpers

    static void createTablet(ExternalMiniCluster cluster) {
        TabletMetadataPB tablet = TestTables.keyValueTablet(TABLET);
        List<PeerPB> peers = new ArrayList<>();
        for (ExternalServer server : cluster.tabletServers()) {
            HostPort address = server.rpcAddress();
            peers.add(TestTables.peer(server.uuid(), address.host(), address.port()));
        }
        for (ExternalServer server : cluster.tabletServers()) {
            CreateTabletResponsePB response = server.tabletServerStub().createTablet(TestTables.createRequest(tablet, peers));
            if (response.hasError()) {
                throw new IllegalStateException("create tablet on " + server.name() + ": " + response.getError());
            }
        }
    }

    /** Every replica's address, fixed at start: dead servers stay in the list, as for a real client. */
    static TabletClient client(ExternalMiniCluster cluster, Duration rpcTimeout) {
        List<HostPort> all = cluster.tabletServers().stream().map(ExternalServer::rpcAddress).toList();
        return new TabletClient(TABLET, () -> all, rpcTimeout);
    }

    static Optional<ExternalServer> leader(ExternalMiniCluster cluster) {
        for (ExternalServer server : cluster.tabletServers()) {
            Optional<TabletReportPB> report = report(server);
            if (report.isPresent() && report.get().getConsensus().getRole().equals("leader")
                    && report.get().getConsensus().getLeaderReady()) {
                return Optional.of(server);
            }
        }
        return Optional.empty();
    }

    private static Optional<TabletReportPB> report(ExternalServer server) {
        if (!server.isAlive()) {
            return Optional.empty();
        }
        try {
            for (TabletReportPB report : server.tabletServerStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                    .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList()) {
                if (report.getTablet().getTabletId().equals(TABLET)) {
                    return Optional.of(report);
                }
            }
        } catch (RuntimeException unreachable) {
            // not serving yet
        }
        return Optional.empty();
    }

    static ExternalServer awaitLeader(ExternalMiniCluster cluster, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            Optional<ExternalServer> leader = leader(cluster);
            if (leader.isPresent()) {
                return leader.get();
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no leader within " + timeout);
    }

    /** Waits until every replica has applied what the leader committed. */
    static void awaitAllCaughtUp(ExternalMiniCluster cluster, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            ExternalServer leader = leader(cluster).orElse(null);
            if (leader != null) {
                long commit = report(leader).map(r -> r.getConsensus().getCommitIndex()).orElse(-1L);
                boolean all = commit > 0;
                for (ExternalServer server : cluster.tabletServers()) {
                    all &= report(server).map(r -> r.getConsensus().getAppliedIndex() >= commit).orElse(false);
                }
                if (all) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("replicas did not catch up within " + timeout);
    }

    static void deleteRecursively(Path root) throws java.io.IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    // ---------------------------------------------------------------- output

    static String toJson(Object value) {
        if (value instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("{");
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(out.length() > 1 ? ", " : "").append('"').append(e.getKey()).append("\": ").append(toJson(e.getValue()));
            }
            return out.append('}').toString();
        }
        if (value instanceof List<?> list) {
            return "[" + String.join(", ", list.stream().map(TabletWriteBench::toJson).toList()) + "]";
        }
        if (value instanceof long[] array) {
            return Arrays.toString(array);
        }
        if (value instanceof String s) {
            return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
        if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
            return "null";
        }
        return String.valueOf(value);
    }
}
