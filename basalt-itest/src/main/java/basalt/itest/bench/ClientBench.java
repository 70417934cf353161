package basalt.itest.bench;

import basalt.client.BasaltClient;
import basalt.client.BasaltTable;
import basalt.client.ColumnSchema;
import basalt.client.CreateTableOptions;
import basalt.client.Operation;
import basalt.client.OperationResponse;
import basalt.client.Schema;
import basalt.client.Session;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.proto.DataType;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.TabletReportPB;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the public client delivers on a mini cluster of real JVMs (3 masters, 3 tablet servers, fsync on):
 * <ul>
 *   <li>(a) batched inserts: one thread, AUTO_FLUSH_BACKGROUND (session defaults), {@code id INT64 KEY,
 *       v STRING} with 100-byte values, 3 hash tablets x 3 replicas. {@code --trials} windows of
 *       {@code --seconds} after one of {@code --warmup} seconds; each window ends with a flush and counts the
 *       rows flushed; any row error fails the run. The same as {@code bench/kudu-latency}'s
 *       KuduInsertThroughputBench does with the Kudu client. Also reported: this JVM's CPU per row (the
 *       client's cost; the servers are other processes). {@code --batches_in_flight=N} sets the session's
 *       batches in flight per tablet (default: the session's own).</li>
 *   <li>(c1) master outage seen by a DDL loop: one client thread creates a 1-tablet table and deletes it,
 *       over and over (each create awaited until usable); the leader master is killed -9. Reported: kill
 *       &rarr; first successful DDL answer (Kudu's measure in PEERS.md), and the longest gap between
 *       successes around the kill.</li>
 *   <li>(c2) tablet outage seen by a writer: one thread writes rows one at a time (AUTO_FLUSH_SYNC) to 3 hash
 *       tablets x 3 replicas; the tablet server leading the most tablets is killed -9. Reported: the longest
 *       gap between two acknowledged writes from the kill on (Kudu's "longest write stall").</li>
 * </ul>
 * (c1) and (c2) run {@code --outage_trials} times each, restarting the killed server in between; every
 * error that reaches the user is counted (must be 0). Every loop is bounded by count and time. Prints
 * human lines and one JSON line.
 *
 * <p>Not a test: it lives in main so {@code mvn verify} never runs it. Run (BENCHMARKS.md):
 * <pre>
 * bin/mvn-jdk21 -q -pl basalt-itest -am test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/basalt-itest.cp
 * java -cp basalt-itest/target/classes:$(cat /tmp/basalt-itest.cp) basalt.itest.bench.ClientBench [--parts=a,c1,c2]
 * </pre>
 */
public final class ClientBench {
    private static final Schema KEY_VALUE = new Schema(List.of(ColumnSchema.key("id", DataType.INT64),
            ColumnSchema.nullable("v", DataType.STRING)));
    private static final String VALUE = "x".repeat(100);
    private static final Duration OUTAGE_WINDOW = Duration.ofSeconds(30);

    private final Map<String, String> args;
    private final Map<String, Object> json = new LinkedHashMap<>();

    private ClientBench(Map<String, String> args) {
        this.args = args;
    }

    public static void main(String[] argv) throws Exception {
        new ClientBench(BenchSupport.parseArgs(argv)).run();
        System.exit(0);
    }

    private int intArg(String name, int def) {
        return BenchSupport.intArg(args, name, def);
    }

    private void run() throws Exception {
        List<String> parts = List.of(args.getOrDefault("parts", "a,c1,c2").split(","));
        Path dir = Path.of(args.getOrDefault("dir", "/tmp/basalt-client-bench"));
        BenchSupport.freshDir(dir);
        json.put("load_average_start", loadAverage());
        // --server_jvm=c2: the servers as bin/basalt tserver runs them (TabletWriteBench.SERVER_JVM: C2, G1, 1 GB)
        // instead of the harness's laptop options (C1 only, 256 MB), for a fair comparison with Kudu's C++.
        List<String> jvm = "c2".equals(args.get("server_jvm")) ? TabletWriteBench.SERVER_JVM
                : basalt.itest.cluster.JavaCommand.DEFAULT_JVM_OPTIONS;
        json.put("server_jvm", args.getOrDefault("server_jvm", "harness default (C1 only)"));
        try (ExternalMiniCluster cluster = ExternalMiniCluster.builder().rootDir(dir).numMasters(3).numTabletServers(3)
                .jvmOptions(jvm).start()) {
            cluster.awaitMasterLeader(Duration.ofSeconds(60));
            try (BasaltClient client = BasaltClient.builder(cluster.masterAddresses().split(",")).build()) {
                if (parts.contains("a")) {
                    insertThroughput(client);
                }
                if (parts.contains("c1")) {
                    masterOutage(cluster, client);
                }
                if (parts.contains("c2")) {
                    tabletOutage(cluster, client);
                }
            }
        }
        json.put("load_average_end", loadAverage());
        BenchSupport.printJson(json);
    }

    // ---- (a) ----

    private void insertThroughput(BasaltClient client) {
        BasaltTable table = client.createTable("insert_bench", KEY_VALUE, new CreateTableOptions()
                .addHashPartitions(List.of("id"), 3).setNumReplicas(3));
        long[] next = {0};
        List<Double> rates = new ArrayList<>();
        List<Double> cpuPerRow = new ArrayList<>();
        try (Session session = client.newSession()) {
            session.setFlushMode(Session.FlushMode.AUTO_FLUSH_BACKGROUND);
            if (args.containsKey("batches_in_flight")) {
                // Only when asked, so this harness still runs against clients that predate the setting.
                session.setMaxBatchesInFlightPerTablet(intArg("batches_in_flight", 2));
            }
            if (args.containsKey("buffer")) {
                session.setMutationBufferSpace(intArg("buffer", 5_000)); // the client's default when not given
            }
            long warm = window(session, table, next, intArg("warmup", 10));
            System.out.printf(Locale.ROOT, "a: warm-up %d rows (load %.1f)%n", warm, loadAverage());
            for (int trial = 0; trial < intArg("trials", 3); trial++) {
                long start = System.nanoTime();
                long cpuStart = processCpuNanos();
                long rows = window(session, table, next, intArg("seconds", 20));
                double rate = rows / ((System.nanoTime() - start) / 1e9);
                // This JVM is the client (the cluster's servers are other processes): its CPU per row is the
                // client's cost, which the load of the shared machine changes far less than the rate.
                double cpuMicros = (processCpuNanos() - cpuStart) / 1e3 / rows;
                rates.add(rate);
                cpuPerRow.add(cpuMicros);
                System.out.printf(Locale.ROOT, "a: trial %d: %.0f rows/s, client CPU %.2f us/row (load %.1f)%n", trial,
                        rate, cpuMicros, loadAverage());
            }
        }
        json.put("a_rows_per_sec", rates.stream().map(r -> String.valueOf(Math.round(r))).toList().toString());
        json.put("a_rows_per_sec_median", Math.round(median(rates)));
        json.put("a_client_cpu_us_per_row_median", Math.round(median(cpuPerRow) * 100) / 100.0);
        json.put("a_load_average", loadAverage());
    }

    /** Applies rows for {@code seconds}, then flushes; fails on any row error. Returns the rows written. */
    private static long window(Session session, BasaltTable table, long[] next, int seconds) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long start = next[0];
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1_000; i++) {
                session.apply(insert(table, next[0]++));
            }
        }
        session.flush();
        Session.RowErrors errors = session.pendingErrors();
        if (!errors.errors().isEmpty()) {
            throw new IllegalStateException(errors.errors().size() + " row errors; first: " + errors.errors().get(0));
        }
        return next[0] - start;
    }

    // ---- (c1) ----

    private void masterOutage(ExternalMiniCluster cluster, BasaltClient client) throws Exception {
        List<Double> firstSuccessMs = new ArrayList<>();
        List<Double> longestGapMs = new ArrayList<>();
        AtomicLong userErrors = new AtomicLong();
        for (int trial = 0; trial < intArg("outage_trials", 5); trial++) {
            ConcurrentLinkedQueue<Long> successes = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            int trialNumber = trial;
            Thread loop = new Thread(() -> {
                // Bounded by the stop flag, which the trial sets within OUTAGE_WINDOW plus a few seconds.
                for (int i = 0; i < 100_000 && !stop.get(); i++) {
                    String name = "ddl_" + trialNumber + "_" + i;
                    try {
                        client.createTable(name, KEY_VALUE, new CreateTableOptions().setNumReplicas(3));
                        successes.add(System.nanoTime());
                        client.deleteTable(name);
                        successes.add(System.nanoTime());
                    } catch (RuntimeException e) {
                        userErrors.incrementAndGet();
                        System.out.println("c1: error reached the user: " + e.getMessage());
                    }
                }
            }, "ddl-loop");
            loop.start();
            awaitCount(successes, 6, Duration.ofSeconds(60)); // the loop runs steadily before the kill
            ExternalServer leader = cluster.awaitMasterLeader(Duration.ofSeconds(30));
            long killNanos = System.nanoTime();
            leader.kill();
            Outage outage = awaitRecovery(successes, killNanos, 4);
            stop.set(true);
            loop.join(TimeUnit.SECONDS.toMillis(60));
            firstSuccessMs.add(outage.firstSuccessMs);
            longestGapMs.add(outage.longestGapMs);
            System.out.printf(Locale.ROOT, "c1: trial %d: kill -> first DDL success %.0f ms, longest gap %.0f ms (load %.1f)%n",
                    trial, outage.firstSuccessMs, outage.longestGapMs, loadAverage());
            leader.startAgain(true);
            cluster.awaitMasterLeader(Duration.ofSeconds(30));
        }
        json.put("c1_first_success_ms", format(firstSuccessMs));
        json.put("c1_first_success_ms_median", Math.round(median(firstSuccessMs)));
        json.put("c1_longest_gap_ms", format(longestGapMs));
        json.put("c1_longest_gap_ms_median", Math.round(median(longestGapMs)));
        json.put("c1_user_errors", userErrors.get());
        json.put("c1_load_average", loadAverage());
    }

    // ---- (c2) ----

    private void tabletOutage(ExternalMiniCluster cluster, BasaltClient client) throws Exception {
        BasaltTable table = client.createTable("stall_bench", KEY_VALUE, new CreateTableOptions()
                .addHashPartitions(List.of("id"), 3).setNumReplicas(3));
        List<Double> stallMs = new ArrayList<>();
        AtomicLong userErrors = new AtomicLong();
        AtomicLong nextId = new AtomicLong();
        for (int trial = 0; trial < intArg("outage_trials", 5); trial++) {
            ConcurrentLinkedQueue<Long> successes = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                Session session = client.newSession(); // AUTO_FLUSH_SYNC: each apply is one acknowledged write
                // Bounded by the stop flag, which the trial sets within OUTAGE_WINDOW plus a few seconds.
                for (int i = 0; i < 10_000_000 && !stop.get(); i++) {
                    OperationResponse response;
                    try {
                        response = session.apply(insert(table, nextId.getAndIncrement()));
                    } catch (RuntimeException e) {
                        userErrors.incrementAndGet();
                        System.out.println("c2: error reached the user: " + e.getMessage());
                        continue;
                    }
                    if (response.hasRowError()) {
                        userErrors.incrementAndGet();
                        System.out.println("c2: error reached the user: " + response.rowError().get());
                    } else {
                        successes.add(System.nanoTime());
                    }
                }
            }, "writer");
            writer.start();
            awaitCount(successes, 200, Duration.ofSeconds(60));
            ExternalServer victim = leaderOfMostTablets(cluster, table.tableId());
            long killNanos = System.nanoTime();
            victim.kill();
            Outage outage = awaitRecovery(successes, killNanos, 50);
            stop.set(true);
            writer.join(TimeUnit.SECONDS.toMillis(60));
            stallMs.add(outage.longestGapMs);
            System.out.printf(Locale.ROOT, "c2: trial %d: killed %s; longest write stall %.0f ms, kill -> first write %.0f ms"
                    + " (load %.1f)%n", trial, victim.name(), outage.longestGapMs, outage.firstSuccessMs, loadAverage());
            victim.startAgain(true);
            awaitHostsReplicas(victim, table.tableId(), 3);
        }
        json.put("c2_longest_stall_ms", format(stallMs));
        json.put("c2_longest_stall_ms_median", Math.round(median(stallMs)));
        json.put("c2_user_errors", userErrors.get());
        json.put("c2_load_average", loadAverage());
    }

    private static ExternalServer leaderOfMostTablets(ExternalMiniCluster cluster, String tableId) {
        return Poll.forValue("a tablet server leading a tablet of " + tableId, Duration.ofSeconds(30), () -> {
            ExternalServer best = null;
            int bestCount = 0;
            for (ExternalServer server : cluster.tabletServers()) {
                int leading = 0;
                try {
                    for (TabletReportPB report : server.tabletServerStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                            .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList()) {
                        if (report.getTablet().getTableId().equals(tableId)
                                && report.getConsensus().getRole().equals("leader")) {
                            leading++;
                        }
                    }
                } catch (RuntimeException unreachable) {
                    continue; // restarting: ask the others
                }
                if (leading > bestCount) {
                    best = server;
                    bestCount = leading;
                }
            }
            return java.util.Optional.ofNullable(best);
        });
    }

    /** Waits until the restarted server hosts its replicas of the table again, so the next kill is one fault. */
    private static void awaitHostsReplicas(ExternalServer server, String tableId, int count) {
        Poll.until("the restarted " + server.name() + " hosts " + count + " replicas of " + tableId,
                Duration.ofSeconds(60), () -> {
                    try {
                        return server.tabletServerStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                                .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList().stream()
                                .filter(r -> r.getTablet().getTableId().equals(tableId)
                                        && List.of("leader", "follower").contains(r.getConsensus().getRole()))
                                .count() >= count;
                    } catch (RuntimeException starting) {
                        return false;
                    }
                });
    }

    // ---- shared ----

    private record Outage(double firstSuccessMs, double longestGapMs) {}

    /**
     * Waits until {@code after} successes came after the kill (or {@link #OUTAGE_WINDOW}), then measures:
     * kill to the first success, and the longest gap between consecutive successes from the last one
     * before the kill to the last one seen.
     */
    private static Outage awaitRecovery(ConcurrentLinkedQueue<Long> successes, long killNanos, int after) {
        long end = System.nanoTime() + OUTAGE_WINDOW.toNanos();
        // Bounded by OUTAGE_WINDOW; polls a counter the worker thread fills.
        while (System.nanoTime() < end && successes.stream().filter(t -> t > killNanos).count() < after) {
            sleepMillis(5);
        }
        List<Long> times = new ArrayList<>(successes);
        times.sort(Long::compare);
        long previous = times.stream().filter(t -> t <= killNanos).reduce((a, b) -> b).orElse(killNanos);
        long first = times.stream().filter(t -> t > killNanos).findFirst()
                .orElseThrow(() -> new IllegalStateException("no success within " + OUTAGE_WINDOW + " of the kill"));
        long longest = 0;
        for (long t : times) {
            if (t > killNanos) {
                longest = Math.max(longest, t - previous);
                previous = t;
            }
        }
        return new Outage((first - killNanos) / 1e6, longest / 1e6);
    }

    private static void awaitCount(ConcurrentLinkedQueue<Long> successes, int count, Duration timeout) {
        Poll.until(count + " successes before the kill", timeout, () -> successes.size() >= count);
    }

    private static Operation insert(BasaltTable table, long id) {
        Operation insert = table.newInsert();
        insert.row().addLong("id", id).addString("v", VALUE);
        return insert;
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double median(List<Double> values) {
        return BenchSupport.median(values, Double.NaN);
    }

    private static String format(List<Double> values) {
        return values.stream().map(v -> String.valueOf(Math.round(v))).toList().toString();
    }

    private static double loadAverage() {
        return BenchSupport.loadAverage();
    }
}
