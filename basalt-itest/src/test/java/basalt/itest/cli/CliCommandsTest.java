package basalt.itest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.cli.BasaltMain;
import basalt.client.BasaltClient;
import basalt.client.BasaltTable;
import basalt.client.RowResult;
import basalt.client.Scanner;
import basalt.common.history.HistoryJson;
import basalt.common.history.Operation;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Goal: every cluster command of CLI.md does what the contract says against a real cluster (3 masters,
 * 3 tablet servers, one for the whole class): the JSON keys it names, exit 0 on success, 1 on an operation
 * that failed (with one line on stderr naming why), 2 on a usage error. The test that kills a tablet
 * server runs last, since the cluster is shared.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliCommandsTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private ExternalMiniCluster cluster;
    private String masters;
    private boolean failed;

    record Run(int exit, String out, String err) {
        JsonElement json() {
            return JsonParser.parseString(out);
        }
    }

    @BeforeAll
    void startCluster() {
        Path base = Path.of(System.getProperty("basalt.itest.dir", "target/itest-clusters")).toAbsolutePath();
        cluster = ExternalMiniCluster.builder().rootDir(base.resolve("CliCommandsTest-" + System.nanoTime()))
                .numMasters(3).numTabletServers(3).start();
        masters = cluster.masterAddresses();
        awaitLiveTabletServers(3);
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            if (failed) {
                cluster.keepFiles();
            }
            cluster.close();
        }
    }

    static Run basalt(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BasaltMain.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private Run ok(String... args) {
        Run run = basalt(args);
        if (run.exit() != 0) {
            failed = true;
        }
        assertThat(run.exit()).as("basalt %s\nstdout: %s\nstderr: %s", String.join(" ", args), run.out(), run.err()).isZero();
        return run;
    }

    private void awaitLiveTabletServers(int count) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        Run last = null;
        // Bounded by the deadline: tablet servers register with their first heartbeat.
        while (System.nanoTime() < end) {
            last = basalt("tserver", "list", "-m", masters, "--format", "json");
            if (last.exit() == 0) {
                long live = 0;
                for (JsonElement server : last.json().getAsJsonArray()) {
                    live += server.getAsJsonObject().get("live").getAsBoolean() ? 1 : 0;
                }
                if (live == count) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("not " + count + " live tablet servers within " + DEADLINE + ": " + last);
    }

    @Test
    @Order(1)
    void tserverListShowsEveryTabletServerLive() {
        Run run = ok("tserver", "list", "-m", masters, "--format", "json");
        JsonArray servers = run.json().getAsJsonArray();
        assertThat(servers).hasSize(3);
        for (JsonElement server : servers) {
            assertThat(server.getAsJsonObject().keySet()).contains("uuid", "rpc_address", "live", "replicas");
            assertThat(server.getAsJsonObject().get("live").getAsBoolean()).isTrue();
        }
        assertThat(ok("tserver", "list", "-m", masters).out()).contains("uuid", cluster.tabletServer(0).uuid());
    }

    @Test
    @Order(2)
    void aTableIsCreatedListedDescribedWrittenScannedAndDeleted() {
        assertThat(ok("table", "create", "-m", masters, "people", "--schema", "id INT64 KEY, name STRING, v DOUBLE",
                "--hash", "id:2", "--replicas", "3").out()).contains("created table people");

        JsonObject listed = findByName(ok("table", "list", "-m", masters, "--format", "json").json().getAsJsonArray(), "people");
        assertThat(listed.keySet()).contains("name", "id", "num_tablets");
        assertThat(listed.get("num_tablets").getAsInt()).isEqualTo(2);

        JsonObject described = ok("table", "describe", "-m", masters, "people", "--format", "json").json().getAsJsonObject();
        assertThat(described.get("columns").getAsJsonArray()).hasSize(3);
        assertThat(described.get("tablets").getAsJsonArray()).hasSize(2);
        assertThat(ok("table", "describe", "-m", masters, "people").out()).contains("id INT64 KEY, name STRING NULL, v DOUBLE NULL",
                "hash(id) into 2 buckets", "LEADER");

        for (int id = 1; id <= 5; id++) {
            ok("table", "insert", "-m", masters, "people", "{\"id\": " + id + ", \"name\": \"n" + id + "\", \"v\": " + id + ".5}");
        }
        ok("table", "insert", "-m", masters, "people", "{\"id\": 6}");

        Run duplicate = basalt("table", "insert", "-m", masters, "people", "{\"id\": 1, \"name\": \"again\"}");
        assertThat(duplicate.exit()).as("a duplicate key is an operation failure").isEqualTo(1);
        assertThat(duplicate.err()).contains("ALREADY_PRESENT", "key (1) already present").hasLineCount(1);

        Run badColumn = basalt("table", "insert", "-m", masters, "people", "{\"id\": 7, \"age\": 3}");
        assertThat(badColumn.exit()).isEqualTo(2);
        assertThat(badColumn.err()).contains("no column 'age'");
        Run badType = basalt("table", "insert", "-m", masters, "people", "{\"id\": \"seven\"}");
        assertThat(badType.exit()).isEqualTo(2);
        assertThat(badType.err()).contains("column 'id' is INT64");

        JsonArray rows = ok("table", "scan", "-m", masters, "people", "--format", "json").json().getAsJsonArray();
        assertThat(rows).hasSize(6);
        List<String> names = new ArrayList<>();
        rows.forEach(row -> names.add(row.getAsJsonObject().get("name").isJsonNull() ? "NULL"
                : row.getAsJsonObject().get("name").getAsString()));
        assertThat(names).containsExactlyInAnyOrder("n1", "n2", "n3", "n4", "n5", "NULL");
        assertThat(ok("table", "scan", "-m", masters, "people", "--limit", "2", "--format", "json").json().getAsJsonArray())
                .hasSize(2);
        assertThat(ok("table", "scan", "-m", masters, "people").out()).contains("{\"id\":3,\"name\":\"n3\",\"v\":3.5}", "(6 rows)");

        assertThat(ok("table", "delete", "-m", masters, "people").out()).contains("deleted table people");
        Run gone = basalt("table", "describe", "-m", masters, "people");
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).contains("people").hasLineCount(1);
        assertThat(basalt("table", "delete", "-m", masters, "people").exit()).isEqualTo(1);
    }

    @Test
    @Order(3)
    void usageErrorsExitTwoAndNameTheProblem() {
        Run badType = basalt("table", "create", "-m", masters, "t", "--schema", "id INT64 KEY, v NUMBER");
        assertThat(badType.exit()).isEqualTo(2);
        assertThat(badType.err()).contains("unknown type NUMBER");
        Run badWord = basalt("table", "create", "-m", masters, "t", "--schema", "id INT64 KEY PRIMARY");
        assertThat(badWord.exit()).isEqualTo(2);
        assertThat(badWord.err()).contains("unexpected word 'PRIMARY'");
        Run badHash = basalt("table", "create", "-m", masters, "t", "--schema", "id INT64 KEY, v DOUBLE", "--hash", "v:4");
        assertThat(badHash.exit()).isEqualTo(2);
        assertThat(badHash.err()).contains("'v' is not a key column");
        assertThat(basalt("table", "create", "-m", masters, "t", "--schema", "id INT64 KEY", "--hash", "id:x").err())
                .contains("bucket count 'x' is not a number");
        assertThat(basalt("table", "list").exit()).as("no -m").isEqualTo(2);
        assertThat(basalt("table", "list", "-m", "").err()).contains("lists no master");
        assertThat(basalt("table", "list", "-m", "127.0.0.1:notaport").exit()).isEqualTo(2);
        assertThat(basalt("table", "list", "-m", masters, "--format", "yaml").exit()).isEqualTo(2);
        assertThat(basalt("perf", "loadgen", "-m", masters, "--rows", "10", "--seconds", "1").exit()).isEqualTo(2);
        assertThat(basalt("workload", "register", "-m", masters, "--history", "/nonexistent-dir/h.jsonl").exit()).isEqualTo(2);
        assertThat(basalt("table", "list", "-m", masters, "--format", "json").json().getAsJsonArray())
                .as("nothing was created by a refused command").noneMatch(t -> t.getAsJsonObject().get("name").getAsString().equals("t"));
    }

    @Test
    @Order(4)
    void consensusStateShowsEveryReplicaOfTheCatalogAndOfATablet() {
        // An earlier test stepped the catalog down; on a loaded machine its election may still run: wait
        // for the answer that names exactly one leader (bounded by the deadline), then check every replica.
        JsonArray catalog = basalt.itest.cluster.Poll.forValue("consensus state to show one catalog leader",
                java.time.Duration.ofSeconds(30), () -> {
                    JsonArray replicas = ok("consensus", "state", "-m", masters, "--tablet", "catalog", "--format", "json")
                            .json().getAsJsonArray();
                    long leaders = 0;
                    for (JsonElement replica : replicas) {
                        leaders += replica.getAsJsonObject().get("role").getAsString().equals("LEADER") ? 1 : 0;
                    }
                    return leaders == 1 ? java.util.Optional.of(replicas) : java.util.Optional.empty();
                });
        assertThat(catalog).hasSize(3);
        for (JsonElement replica : catalog) {
            assertThat(replica.getAsJsonObject().keySet()).contains("uuid", "role", "term", "commit_index", "last_op_id");
        }

        String tabletId = createOneTabletTable("raft_state");
        JsonArray tablet = ok("consensus", "state", "-m", masters, "--tablet", tabletId, "--format", "json").json().getAsJsonArray();
        assertThat(tablet).hasSize(3);
        assertThat(ok("consensus", "state", "-m", masters).out()).contains("catalog", tabletId, "LEADER");
        Run unknown = basalt("consensus", "state", "-m", masters, "--tablet", "no-such-tablet");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("no server reports a replica of no-such-tablet");
    }

    @Test
    @Order(5)
    void stepDownMovesLeadershipOfATabletAndOfTheCatalog() {
        String tabletId = createOneTabletTable("step_down");
        String before = leaderOf(tabletId);
        Run moved = ok("tablet", "step-down", "-m", masters, tabletId);
        assertThat(moved.out()).contains("leadership moved from " + before);
        assertThat(leaderOf(tabletId)).isNotEqualTo(before);

        String target = cluster.tabletServers().stream().map(ExternalServer::uuid).filter(uuid -> !uuid.equals(leaderOf(tabletId)))
                .findFirst().orElseThrow();
        assertThat(ok("tablet", "step-down", "-m", masters, tabletId, "--new_leader", target).out()).contains("to " + target);
        assertThat(leaderOf(tabletId)).isEqualTo(target);

        Run notAVoter = basalt("tablet", "step-down", "-m", masters, tabletId, "--new_leader", "nobody");
        assertThat(notAVoter.exit()).isEqualTo(1);
        assertThat(notAVoter.err()).contains("nobody is not another voter");

        String catalogBefore = leaderOf("catalog");
        assertThat(ok("tablet", "step-down", "-m", masters, "catalog").out()).contains("leadership moved from " + catalogBefore);
        // The table list still works through the new leader master.
        assertThat(ok("table", "list", "-m", masters).out()).contains("step_down");
    }

    @Test
    @Order(6)
    void loadgenWritesTheRowsAndReportsThroughputAndLatency() {
        JsonObject result = ok("perf", "loadgen", "-m", masters, "--rows", "3000", "--threads", "2", "--batch", "100",
                "--format", "json").json().getAsJsonObject();
        assertThat(result.keySet()).contains("rows", "rows_per_sec", "p50_ms", "p99_ms", "errors");
        assertThat(result.get("rows").getAsLong()).isEqualTo(3000);
        assertThat(result.get("errors").getAsLong()).isZero();
        assertThat(result.get("rows_per_sec").getAsDouble()).isPositive();
        assertThat(result.get("p99_ms").getAsDouble()).isGreaterThanOrEqualTo(result.get("p50_ms").getAsDouble()).isPositive();
        assertThat(ok("perf", "loadgen", "-m", masters, "--seconds", "1", "--batch", "10").out()).contains("rows/s", "p99");
    }

    @Test
    @Order(6)
    void loadgenReportsExactlyTheRowsTheTableHolds() {
        // Background batches (several threads, several batches in flight per tablet), then row by row.
        for (String[] shape : List.of(new String[] {"--threads", "3", "--batch", "200", "--rows", "5000"},
                new String[] {"--threads", "4", "--batch", "1", "--rows", "300"})) {
            List<String> args = new ArrayList<>(List.of("perf", "loadgen", "-m", masters, "--keep_table", "--format", "json"));
            args.addAll(List.of(shape));
            JsonObject result = ok(args.toArray(String[]::new)).json().getAsJsonObject();
            long requested = Long.parseLong(shape[5]);
            assertThat(result.get("rows").getAsLong()).as(result.toString()).isEqualTo(requested);
            assertThat(result.get("errors").getAsLong()).isZero();
            String table = result.get("table").getAsString();
            assertThat(countRowsCheckingValues(table)).as("rows scanned from %s", table).isEqualTo(requested);
            ok("table", "delete", "-m", masters, table);
        }
    }

    @Test
    @Order(7)
    void registerWorkloadWritesALinearizableHistory() throws Exception {
        Path history = cluster.rootDir().resolve("register-history.jsonl");
        JsonObject result = ok("workload", "register", "-m", masters, "--seconds", "3", "--keys", "2", "--clients", "4",
                "--history", history.toString(), "--format", "json").json().getAsJsonObject();
        assertThat(result.keySet()).contains("ops", "ok", "fail", "info", "linearizable");
        assertThat(result.get("linearizable").getAsBoolean()).as(result.toString()).isTrue();
        List<Operation> operations = HistoryJson.parse(Files.readString(history));
        assertThat(operations).hasSize(result.get("ops").getAsInt());
        assertThat(operations).as("every function ran and some compare-and-sets took effect")
                .anyMatch(op -> op.function() == Operation.Function.READ && op.status() == Operation.Status.OK)
                .anyMatch(op -> op.function() == Operation.Function.WRITE && op.status() == Operation.Status.OK)
                .anyMatch(op -> op.function() == Operation.Function.CAS && op.status() == Operation.Status.OK)
                .anyMatch(op -> op.function() == Operation.Function.CAS && op.status() == Operation.Status.FAIL);
        assertThat(Files.readAllLines(history).get(0)).contains("\"process\"", "\"type\":\"invoke\"", "\"f\"", "\"key\"",
                "\"value\"", "\"time\"");
    }

    @Test
    @Order(8)
    void walDumpOfARunningTabletServerShowsTheRowsWritten() {
        String tabletId = createOneTabletTable("wal_rows");
        ok("table", "insert", "-m", masters, "wal_rows", "{\"id\": 41, \"v\": \"forty-one\"}");
        ExternalServer replica = cluster.serverByUuid(leaderOf(tabletId)); // its WAL has every committed entry
        Run dump = ok("wal", "dump", replica.walDir().resolve(tabletId).toString(), "--schema", "id INT64 KEY, v STRING");
        assertThat(dump.out()).contains("INSERT (id=41, v=\"forty-one\")");
    }

    @Test
    @Order(9)
    void ksckIsHealthyAndThenNamesAKilledLeaderMasterAndAKilledTabletServer() {
        JsonObject healthy = ok("cluster", "ksck", "-m", masters, "--format", "json").json().getAsJsonObject();
        assertThat(healthy.get("healthy").getAsBoolean()).as(healthy.toString()).isTrue();
        assertThat(ok("cluster", "ksck", "-m", masters).out()).contains("checksums equal", "HEALTHY");

        // The README's tour: kill -9 the leader master; writes go on, and ksck names the dead master.
        ExternalServer leaderMaster = cluster.awaitMasterLeader(DEADLINE);
        leaderMaster.kill();
        ok("table", "insert", "-m", masters, "wal_rows", "{\"id\": 42, \"v\": \"after the leader master died\"}");
        Run masterDown = basalt("cluster", "ksck", "-m", masters);
        assertThat(masterDown.exit()).as(masterDown.out()).isEqualTo(1);
        assertThat(masterDown.out().lines()).as(masterDown.out()).filteredOn(line -> line.startsWith("PROBLEM"))
                .singleElement().asString().contains("masters", leaderMaster.rpcAddress().toString(), "unreachable");
        assertThat(masterDown.out()).contains("UNHEALTHY: 1 problem(s)");

        ExternalServer victim = cluster.tabletServers().get(2);
        victim.kill();
        Run unhealthy = basalt("cluster", "ksck", "-m", masters);
        assertThat(unhealthy.exit()).as(unhealthy.out()).isEqualTo(1);
        assertThat(unhealthy.out()).contains("PROBLEM", "replica on " + victim.uuid(), "UNHEALTHY");
        assertThat(unhealthy.err()).contains("not healthy").hasLineCount(1);
    }

    private String createOneTabletTable(String name) {
        ok("table", "create", "-m", masters, name, "--schema", "id INT64 KEY, v STRING");
        JsonObject described = ok("table", "describe", "-m", masters, name, "--format", "json").json().getAsJsonObject();
        return described.get("tablets").getAsJsonArray().get(0).getAsJsonObject().get("tablet_id").getAsString();
    }

    private String leaderOf(String groupId) {
        JsonArray states = ok("consensus", "state", "-m", masters, "--tablet", groupId, "--format", "json").json().getAsJsonArray();
        String leader = null;
        long term = -1;
        for (JsonElement state : states) {
            JsonObject replica = state.getAsJsonObject();
            if (replica.has("role") && replica.get("role").getAsString().equals("LEADER") && replica.get("term").getAsLong() > term) {
                term = replica.get("term").getAsLong();
                leader = replica.get("uuid").getAsString();
            }
        }
        assertThat(leader).as("a leader of %s in %s", groupId, states).isNotNull();
        return leader;
    }

    /** The rows of a loadgen table, each checked to hold the values loadgen writes for its id. */
    private long countRowsCheckingValues(String tableName) {
        try (BasaltClient client = BasaltClient.builder(masters.split(",")).build()) {
            BasaltTable table = client.openTable(tableName);
            Set<Long> ids = new HashSet<>();
            try (Scanner scanner = client.newScannerBuilder(table).build()) {
                // Bounded: the table holds the few thousand rows loadgen wrote.
                while (scanner.hasMoreRows()) {
                    for (RowResult row : scanner.nextRows()) {
                        long id = row.getLong("id");
                        assertThat(ids.add(id)).as("id %d scanned twice", id).isTrue();
                        assertThat(row.getLong("int_val")).isEqualTo(id * 7);
                        assertThat(row.getString("string_val")).startsWith("row-" + id + "-");
                    }
                }
            }
            return ids.size();
        }
    }

    private static JsonObject findByName(JsonArray tables, String name) {
        for (JsonElement table : tables) {
            if (table.getAsJsonObject().get("name").getAsString().equals(name)) {
                return table.getAsJsonObject();
            }
        }
        throw new AssertionError("no table " + name + " in " + tables);
    }
}
