package basalt.itest.bench;

import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.JavaCommand;
import basalt.itest.cluster.Poll;
import basalt.itest.workload.MasterClient;
import basalt.itest.workload.TestTables;
import basalt.proto.ConsensusServiceGrpc;
import basalt.proto.ConsensusStatePB;
import basalt.proto.ConsensusStateRequestPB;
import basalt.proto.CreateTableRequestPB;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.DeleteTableRequestPB;
import basalt.proto.DeleteTableResponsePB;
import basalt.proto.IsCreateTableDoneRequestPB;
import basalt.proto.IsCreateTableDoneResponsePB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.MasterEntryPB;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.RequestIdPB;
import basalt.proto.TableIdentifierPB;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Master failover and DDL rate on a mini cluster of real JVMs: 3 masters, 3 tablet servers.
 *
 * <ul>
 *   <li>(a) failover unavailability: one client issues DDL back to back (CreateTable, then DeleteTable of
 *       the same table, so tablets do not pile up on the tablet servers); the leader master is killed -9;
 *       unavailability is the time from the kill to the first successful CreateTable answered by another
 *       master. Broken down as kill &rarr; a survivor reports itself LEADER in ListMasters (polled every
 *       5 ms) &rarr; first successful CreateTable. {@code --trials} times; the killed master is restarted
 *       and the loop runs {@code --settle_ms} between trials. Median and max.</li>
 *   <li>(b) CreateTable rate: one at a time, 1 tablet &times; 3 replicas each, each awaited with
 *       IsCreateTableDone until usable (a long poll: the master holds each answer up to 500 ms, released
 *       when the table becomes usable, as the Java client asks), for {@code --seconds}.</li>
 *   <li>(c) with {@code --big_catalog=N}: (a) again after N more tables were created (not awaited).</li>
 * </ul>
 * Every loop is bounded by a count and by time. Prints human lines and one JSON line on stdout.
 *
 * <p>Not a test: it lives in main so {@code mvn verify} never runs it. Run (BENCHMARKS.md):
 * <pre>
 * bin/mvn-jdk21 -q -o -pl basalt-itest -am test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/basalt-itest.cp
 * java -cp basalt-itest/target/classes:$(cat /tmp/basalt-itest.cp) basalt.itest.bench.MasterFailoverBench
 * </pre>
 */
public final class MasterFailoverBench {
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

    private final Map<String, String> args;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong tableCounter = new AtomicLong();

    private MasterFailoverBench(Map<String, String> args) {
        this.args = args;
    }

    public static void main(String[] argv) throws Exception {
        new MasterFailoverBench(BenchSupport.parseArgs(argv)).run();
        System.exit(0);
    }

    private int intArg(String name, int def) {
        return BenchSupport.intArg(args, name, def);
    }

    private void run() throws Exception {
        String parts = args.getOrDefault("parts", "a,b");
        Path dir = Path.of(args.getOrDefault("dir", "/tmp/basalt-master-bench"));
        BenchSupport.freshDir(dir);
        json.put("load_average_start", loadAverage());
        int fakeTabletServers = intArg("fake_tservers", 0);
        List<String> jvm = new ArrayList<>(JavaCommand.DEFAULT_JVM_OPTIONS);
        if (args.containsKey("heap")) {
            jvm.replaceAll(option -> option.startsWith("-Xmx") ? "-Xmx" + args.get("heap") : option);
        }
        try (ExternalMiniCluster cluster = ExternalMiniCluster.builder().rootDir(dir).numMasters(3)
                .numTabletServers(fakeTabletServers > 0 ? 0 : 3).jvmOptions(jvm).start();
             FakeTabletServerFleet fakes = fakeTabletServers > 0 ? new FakeTabletServerFleet(fakeTabletServers,
                     cluster.masters().stream().map(ExternalServer::rpcAddress).toList(), 250) : null) {
            if (args.containsKey("keep")) {
                cluster.keepFiles(); // server logs stay in --dir for a timeline of each step
            }
            cluster.awaitMasterLeader(Duration.ofSeconds(60));
            if (parts.contains("b")) {
                createRate(cluster);
            }
            if (parts.contains("a")) {
                failover(cluster, "a_empty_catalog");
            }
            int big = intArg("big_catalog", 0);
            if (big > 0) {
                long start = System.nanoTime();
                try (MasterClient masters = client(cluster)) {
                    for (int i = 0; i < big; i++) {
                        create(masters, "big" + i);
                    }
                }
                json.put("c_tables_created", big);
                json.put("c_create_seconds", (System.nanoTime() - start) / 1e9);
                failover(cluster, "c_big_catalog");
            }
            int bigTablets = intArg("big_tablets", 0);
            if (bigTablets > 0) {
                fillCatalog(cluster, bigTablets, intArg("tablets_per_table", 1000), fakes);
                failover(cluster, "d_catalog_of_" + bigTablets + "_tablets");
            }
        }
        json.put("load_average_end", loadAverage());
        BenchSupport.printJson(json);
    }

    /**
     * (d) Tables of {@code perTable} hash tablets, 3 replicas each, until the catalog holds {@code tablets}
     * tablets, each awaited until usable, so the failover after it starts from a steady catalog.
     */
    private void fillCatalog(ExternalMiniCluster cluster, int tablets, int perTable, FakeTabletServerFleet fakes) {
        long start = System.nanoTime();
        int tables = (tablets + perTable - 1) / perTable;
        try (MasterClient masters = client(cluster)) {
            for (int i = 0; i < tables; i++) {
                CreateTableRequestPB request = CreateTableRequestPB.newBuilder().setName("fill" + i)
                        .setSchema(TestTables.keyValueTablet("x").getSchema())
                        .setPartitionSchema(PartitionSchemaPB.newBuilder().addHashColumns("id").setHashBuckets(perTable))
                        .setNumReplicas(3).setRequestId(nextRequestId()).build();
                CreateTableResponsePB response = masters.call(stub -> stub.createTable(request),
                        r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), Duration.ofSeconds(60));
                if (response.hasError()) {
                    throw new IllegalStateException("create fill" + i + ": " + response.getError());
                }
                awaitUsable(masters, response.getTableId());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        json.put("d_tablets", tables * perTable);
        json.put("d_fill_seconds", Math.round(seconds * 10) / 10.0);
        System.out.printf(Locale.ROOT, "d: catalog filled with %d tablets (%d tables) in %.1f s%s%n", tables * perTable,
                tables, seconds, fakes == null ? "" : ", " + fakes.replicas() + " replicas on fake tablet servers");
    }

    private static MasterClient client(ExternalMiniCluster cluster) {
        return new MasterClient(() -> cluster.masters().stream().map(ExternalServer::rpcAddress).toList(),
                Duration.ofSeconds(2));
    }

    private static double loadAverage() {
        return BenchSupport.loadAverage();
    }

    private RequestIdPB nextRequestId() {
        long next = sequence.incrementAndGet();
        return RequestIdPB.newBuilder().setClientId("bench").setSequence(next).setFirstIncompleteSequence(next).build();
    }

    /** Creates a 1-tablet, 3-replica table, retrying with the same request id; returns its id. */
    private String create(MasterClient masters, String name) {
        CreateTableRequestPB request = CreateTableRequestPB.newBuilder().setName(name)
                .setSchema(TestTables.keyValueTablet("x").getSchema())
                .setPartitionSchema(PartitionSchemaPB.getDefaultInstance()).setNumReplicas(3)
                .setRequestId(nextRequestId()).build();
        // Bounded by the attempt count; each attempt by CALL_DEADLINE.
        for (int attempt = 0; attempt < 10; attempt++) {
            CreateTableResponsePB response = masters.call(stub -> stub.createTable(request),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), CALL_DEADLINE);
            if (!response.hasError()) {
                return response.getTableId();
            }
            if (response.getError().getCode() != basalt.proto.Code.ABORTED
                    && response.getError().getCode() != basalt.proto.Code.TIMED_OUT) {
                throw new IllegalStateException("create " + name + ": " + response.getError());
            }
        }
        throw new IllegalStateException("create " + name + " had no definite outcome");
    }

    private void delete(MasterClient masters, String tableId) {
        DeleteTableRequestPB request = DeleteTableRequestPB.newBuilder()
                .setTable(TableIdentifierPB.newBuilder().setTableId(tableId)).setRequestId(nextRequestId()).build();
        for (int attempt = 0; attempt < 10; attempt++) {
            DeleteTableResponsePB response = masters.call(stub -> stub.deleteTable(request),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), CALL_DEADLINE);
            if (!response.hasError()) {
                return;
            }
            if (response.getError().getCode() != basalt.proto.Code.ABORTED
                    && response.getError().getCode() != basalt.proto.Code.TIMED_OUT) {
                throw new IllegalStateException("delete " + tableId + ": " + response.getError());
            }
        }
        throw new IllegalStateException("delete " + tableId + " had no definite outcome");
    }

    // ---------------------------------------------------------------- (a) and (c)

    /** A successful CreateTable: when it completed, and which master answered. */
    private record Success(long completedNanos, HostPort answeredBy) {}

    private void failover(ExternalMiniCluster cluster, String key) throws Exception {
        int trials = intArg("trials", 10);
        long settleMs = intArg("settle_ms", 3000);
        List<Success> successes = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong failures = new AtomicLong();
        List<String> retries = java.util.Collections.synchronizedList(new ArrayList<>()); // "nanos why"
        Thread loop = Thread.ofPlatform().name("ddl-client").start(() -> {
            try (MasterClient masters = client(cluster)) {
                masters.onRetry(why -> {
                    if (retries.size() < 100_000) {
                        retries.add(System.nanoTime() + " " + why);
                    }
                });
                // Bounded by the stop flag and a count.
                for (int i = 0; i < 1_000_000 && !stop.get(); i++) {
                    try {
                        String tableId = create(masters, key + "_" + tableCounter.incrementAndGet());
                        successes.add(new Success(System.nanoTime(), masters.leaderGuess().orElseThrow()));
                        delete(masters, tableId);
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    }
                }
            }
        });
        List<Double> totalMs = new ArrayList<>();
        List<Double> electedMs = new ArrayList<>();
        List<Double> afterElectedMs = new ArrayList<>();
        List<Double> readyMs = new ArrayList<>();
        try {
            for (int trial = 0; trial < trials; trial++) {
                // A running client: wait for fresh successes, all masters up.
                awaitCaughtUp(cluster);
                int before = successes.size();
                Poll.until("the DDL client to make progress", Duration.ofSeconds(60), () -> successes.size() > before + 5);
                ExternalServer leader = cluster.awaitMasterLeader(Duration.ofSeconds(30));
                long oldTerm = term(leader).orElseThrow();
                long killNanos = System.nanoTime();
                leader.kill();
                long[] electedAndReady = awaitElected(cluster, leader, oldTerm);
                long electedNanos = electedAndReady[0];
                double ready = (electedAndReady[1] - killNanos) / 1e6;
                readyMs.add(ready);
                Success first = Poll.forValue("a CreateTable answered by a new leader", Duration.ofSeconds(30), () -> {
                    synchronized (successes) {
                        return successes.stream().filter(s -> s.completedNanos() > killNanos
                                && !s.answeredBy().equals(leader.rpcAddress())).findFirst();
                    }
                });
                double total = (first.completedNanos() - killNanos) / 1e6;
                double elected = (electedNanos - killNanos) / 1e6;
                if (first.completedNanos() - electedAndReady[1] > 200_000_000L) {
                    // Slow after the new leader served: say what the client was told meanwhile.
                    synchronized (retries) {
                        retries.stream().filter(r -> Long.parseLong(r.substring(0, r.indexOf(' '))) > electedAndReady[1])
                                .map(r -> (Long.parseLong(r.substring(0, r.indexOf(' '))) - killNanos) / 1_000_000 + "ms "
                                        + r.substring(r.indexOf(' ') + 1).replace('\n', ' '))
                                .limit(8).forEach(r -> System.out.println("    after serving: " + r));
                    }
                }
                totalMs.add(total);
                electedMs.add(elected);
                afterElectedMs.add(total - elected);
                System.out.printf(Locale.ROOT, "%s trial %d: unavailable %.0f ms; kill->elected %.0f ms, kill->serving %.0f ms,"
                        + " kill->first create %.0f ms%n", key, trial, total, elected, ready, total);
                leader.startAgain(true);
                long settleEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settleMs);
                Poll.until("settling after trial " + trial, Duration.ofMillis(settleMs + 1000), () -> System.nanoTime() > settleEnd);
            }
        } finally {
            stop.set(true);
            loop.join(TimeUnit.SECONDS.toMillis(60));
        }
        json.put(key + "_unavailable_ms_median", median(totalMs));
        json.put(key + "_unavailable_ms_max", totalMs.stream().mapToDouble(d -> d).max().orElse(-1));
        json.put(key + "_unavailable_ms_min", totalMs.stream().mapToDouble(d -> d).min().orElse(-1));
        json.put(key + "_kill_to_elected_ms_median", median(electedMs));
        json.put(key + "_elected_to_first_create_ms_median", median(afterElectedMs));
        json.put(key + "_kill_to_serving_ms_median", median(readyMs));
        json.put(key + "_unavailable_ms_all", totalMs.stream().map(d -> String.format(Locale.ROOT, "%.0f", d)).toList()
                .toString().replace(" ", ""));
        json.put(key + "_client_failures", failures.get());
        System.out.printf(Locale.ROOT, "%s: unavailability median %.0f ms, max %.0f ms (kill->elected median %.0f ms)%n",
                key, median(totalMs), totalMs.stream().mapToDouble(d -> d).max().orElse(-1), median(electedMs));
    }

    /**
     * Waits until every master has applied what the leader had committed when we asked: a restarted master
     * has caught up, so the next kill is one fault, not a kill during another master's recovery.
     */
    private static void awaitCaughtUp(ExternalMiniCluster cluster) {
        ConsensusStateRequestPB request = ConsensusStateRequestPB.newBuilder().setGroupId("catalog").build();
        long[] target = {-1};
        Poll.until("every master to catch up on the catalog", Duration.ofSeconds(60), () -> {
            long lowest = Long.MAX_VALUE;
            long commit = -1;
            for (ExternalServer master : cluster.masters()) {
                ConsensusStatePB state = ConsensusServiceGrpc.newBlockingStub(master.channel())
                        .withDeadlineAfter(2, TimeUnit.SECONDS).getConsensusState(request).getGroups(0);
                lowest = Math.min(lowest, state.getAppliedIndex());
                if (state.getRole().equals("leader")) {
                    commit = state.getCommitIndex();
                }
            }
            if (target[0] < 0 && commit >= 0) {
                target[0] = commit;
            }
            return target[0] >= 0 && lowest >= target[0];
        });
    }

    private static Optional<Long> term(ExternalServer master) {
        for (MasterEntryPB entry : master.masterStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                .listMasters(ListMastersRequestPB.getDefaultInstance()).getMastersList()) {
            if (entry.getUuid().equals(master.uuid())) {
                return Optional.of(entry.getTerm());
            }
        }
        return Optional.empty();
    }

    /**
     * When a survivor first reports itself LEADER in a term after {@code oldTerm}, and when it first serves
     * (ListTables answers without SERVICE_UNAVAILABLE: the first entry of its term is applied); polled every 5 ms.
     */
    private static long[] awaitElected(ExternalMiniCluster cluster, ExternalServer killed, long oldTerm) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // Bounded by the deadline.
        while (System.nanoTime() < end) {
            for (ExternalServer master : cluster.masters()) {
                if (master == killed) {
                    continue;
                }
                try {
                    for (MasterEntryPB entry : master.masterStub().withDeadlineAfter(500, TimeUnit.MILLISECONDS)
                            .listMasters(ListMastersRequestPB.getDefaultInstance()).getMastersList()) {
                        if (entry.getUuid().equals(master.uuid()) && entry.getRole().equals("LEADER")
                                && entry.getTerm() > oldTerm) {
                            return new long[] {System.nanoTime(), awaitReady(master, end)};
                        }
                    }
                } catch (RuntimeException e) {
                    // not answering yet: ask again
                }
            }
            try {
                Thread.sleep(5); // poll pacing, bounded by the deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("no new master leader within 30 s");
    }

    private static long awaitReady(ExternalServer leader, long endNanos) {
        // Bounded by the deadline.
        while (System.nanoTime() < endNanos) {
            try {
                if (!leader.masterStub().withDeadlineAfter(500, TimeUnit.MILLISECONDS)
                        .listTables(ListTablesRequestPB.newBuilder().setNameFilter("-none-").build()).hasError()) {
                    return System.nanoTime();
                }
            } catch (RuntimeException e) {
                // ask again
            }
            try {
                Thread.sleep(5); // poll pacing, bounded by the deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("the new leader " + leader + " did not serve within 30 s");
    }

    // ---------------------------------------------------------------- (b)

    private void createRate(ExternalMiniCluster cluster) {
        int seconds = intArg("seconds", 30);
        int warmupSeconds = intArg("warmup", 5);
        try (MasterClient masters = client(cluster)) {
            long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
            // Warm-up: the same work, not counted. Bounded by time and a count.
            for (int i = 0; i < 100_000 && System.nanoTime() < warmEnd; i++) {
                awaitUsable(masters, create(masters, "warm" + i));
            }
            List<Double> latencies = new ArrayList<>();
            List<Double> answered = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            int created = 0;
            for (int i = 0; i < 1_000_000 && System.nanoTime() < end; i++) {
                long one = System.nanoTime();
                String tableId = create(masters, "rate" + i);
                answered.add((System.nanoTime() - one) / 1e6);
                awaitUsable(masters, tableId);
                latencies.add((System.nanoTime() - one) / 1e6);
                created++;
            }
            double rate = created / ((System.nanoTime() - start) / 1e9);
            json.put("b_creates_per_second", Math.round(rate * 10) / 10.0);
            json.put("b_tables", created);
            json.put("b_create_until_usable_ms_median", median(latencies));
            json.put("b_create_answered_ms_median", median(answered));
            // The rate is set by the mean, so a tail the median hides shows here.
            json.put("b_create_until_usable_ms_p90", BenchSupport.quantile(latencies, 0.9, -1));
            json.put("b_create_until_usable_ms_max", BenchSupport.quantile(latencies, 1.0, -1));
            System.out.printf(Locale.ROOT, "b: %.1f CreateTable/s until usable (%d tables in %d s), median %.0f ms each"
                    + " (p90 %.0f ms, max %.0f ms; CreateTable answered after %.1f ms)%n", rate, created, seconds,
                    median(latencies), BenchSupport.quantile(latencies, 0.9, -1), BenchSupport.quantile(latencies, 1.0, -1),
                    median(answered));
        }
    }

    private static void awaitUsable(MasterClient masters, String tableId) {
        long end = System.nanoTime() + CALL_DEADLINE.toNanos();
        IsCreateTableDoneRequestPB request = IsCreateTableDoneRequestPB.newBuilder()
                .setTable(TableIdentifierPB.newBuilder().setTableId(tableId)).setWaitMs(500).build();
        // Bounded by the deadline.
        while (System.nanoTime() < end) {
            IsCreateTableDoneResponsePB done = masters.call(stub -> stub.isCreateTableDone(request),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), CALL_DEADLINE);
            if (done.hasError()) {
                throw new IllegalStateException("IsCreateTableDone " + tableId + ": " + done.getError());
            }
            if (done.getDone()) {
                return;
            }
            try {
                Thread.sleep(2); // the master held the answer already; this only paces a master that does not; bounded by the deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("table " + tableId + " not usable within " + CALL_DEADLINE);
    }

    private static double median(List<Double> values) {
        return BenchSupport.median(values, -1);
    }
}
