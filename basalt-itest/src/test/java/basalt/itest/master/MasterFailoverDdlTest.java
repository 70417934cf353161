package basalt.itest.master;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.MasterClient;
import basalt.itest.workload.TabletClient;
import basalt.proto.AlterTableRequestPB;
import basalt.proto.AlterTableResponsePB;
import basalt.proto.Code;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.DataType;
import basalt.proto.DeleteTableRequestPB;
import basalt.proto.DeleteTableResponsePB;
import basalt.proto.ErrorPB;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.GetTableSchemaRequestPB;
import basalt.proto.GetTableSchemaResponsePB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.MasterEntryPB;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.RequestIdPB;
import basalt.proto.TableEntryPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TableState;
import basalt.proto.TabletLocationPB;
import basalt.proto.TabletReportPB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal (the issue's acceptance): DDL is exactly-once and the catalog stays consistent with the tablet
 * servers while the leader master is killed -9 over and over.
 *
 * <p>Method: 3 masters, 3 tablet servers. One thread runs DDL back to back: create table {@code t<i>},
 * every third one delete it again, and every sixth one (never one it deletes) alter at once: add a
 * column and rename the table to {@code t<i>a}, often while it is still being created. Every request carries a request id and is retried with that same
 * id until it has a definite outcome (success, or an error that is not "try again"), so the loop knows
 * exactly what took effect. Meanwhile the main thread kills the leader master with SIGKILL, restarts it
 * (in the background, overlapping the election), waits for a new leader and for one more DDL to
 * succeed, and does it again, until the leader (uuid, term) changed at least {@link #ELECTIONS} times.
 * Then: the tables the loop created and did not delete exist exactly once, with the id their create
 * returned, and become RUNNING; the deleted and failed ones are absent; the altered ones have the new
 * name and schema version; every tablet of every table is hosted by each of its replicas, which all run
 * the table's schema version under its name; and once deletions finish no tablet server hosts a tablet
 * of a table that is gone.
 */
class MasterFailoverDdlTest {
    static final int ELECTIONS = 10;
    // Ten elections take ~45 s on a quiet machine; the budget only bounds a starved one (load 40 took 96 s for 9).
    static final Duration CHAOS_BUDGET = Duration.ofSeconds(150);
    static final Duration SETTLE = Duration.ofSeconds(30);
    static final Duration ONE_DDL = Duration.ofSeconds(30);

    /** Restarts run beside the kills (a JVM start overlaps the election); a failed restart fails the test. */
    static final Executor RESTARTS = Executors.newVirtualThreadPerTaskExecutor();

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(3).numTabletServers(3));

    /** What the DDL loop saw, in order; each DDL's outcome is definite. Written by the loop thread only. */
    static final class Seen {
        final Map<String, String> created = Collections.synchronizedMap(new TreeMap<>()); // name -> table id
        final Map<String, String> deleted = Collections.synchronizedMap(new TreeMap<>()); // name -> table id
        final Map<String, Integer> altered = Collections.synchronizedMap(new TreeMap<>()); // table id -> schema version
        final Map<String, ErrorPB> failed = Collections.synchronizedMap(new TreeMap<>()); // "create t3" -> error
        final AtomicInteger successes = new AtomicInteger();
        final AtomicInteger retries = new AtomicInteger();
        volatile Throwable crashed;
    }

    @Test
    void ddlIsExactlyOnceAndTheCatalogMatchesTabletServersAcrossLeaderKills() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        long start = System.nanoTime();
        Seen seen = new Seen();
        AtomicBoolean stop = new AtomicBoolean();
        try (MasterClient masters = MasterDdlTest.masterClient(cluster)) {
            cluster.awaitMasterLeader(Duration.ofSeconds(30));
            Thread loop = Thread.ofPlatform().name("ddl-loop").start(() -> runDdlLoop(masters, seen, stop));

            List<String> leaders = new ArrayList<>();
            leaders.add(leaderIdentity(cluster, Duration.ofSeconds(30)));
            CompletableFuture<Void> restarting = null;
            long chaosEnd = System.nanoTime() + CHAOS_BUDGET.toNanos();
            // Bounded: each round either changes the leader or times out; the budget bounds the rounds.
            while (leaders.size() <= ELECTIONS && System.nanoTime() < chaosEnd && seen.crashed == null) {
                int before = seen.successes.get();
                Poll.until("a DDL to succeed under leader " + leaders.getLast(), ONE_DDL,
                        () -> seen.successes.get() > before || seen.crashed != null);
                if (restarting != null) {
                    restarting.get(60, TimeUnit.SECONDS); // the killed master is back: a quorum survives the next kill
                }
                ExternalServer leader = cluster.serverByUuid(leaders.getLast().split("@")[0]);
                leader.kill();
                restarting = CompletableFuture.runAsync(() -> leader.startAgain(true), RESTARTS);
                String previous = leaders.getLast();
                leaders.add(Poll.forValue("a new master leader after killing " + previous, Duration.ofSeconds(20), () -> {
                    String now = leaderIdentity(cluster, Duration.ofSeconds(2));
                    return now.equals(previous) ? Optional.empty() : Optional.of(now);
                }));
            }
            stop.set(true);
            loop.join(ONE_DDL.toMillis() * 2);
            if (restarting != null) {
                restarting.get(60, TimeUnit.SECONDS);
            }
            assertThat(loop.isAlive()).as("the DDL loop ended").isFalse();
            assertThat(seen.crashed).as("the DDL loop failed").isNull();
            assertThat(leaders.size() - 1).as("leader changes (uuid@term): %s", leaders).isGreaterThanOrEqualTo(ELECTIONS);
            assertThat(seen.failed).as("unique names: no create, alter or delete should fail").isEmpty();

            checkCatalog(cluster, masters, seen);
            System.out.printf("MasterFailoverDdlTest: %d leader changes %s; %d DDLs succeeded (%d created, %d altered,"
                            + " %d deleted), %d retries; %.1f s%n", leaders.size() - 1, leaders, seen.successes.get(),
                    seen.created.size(), seen.altered.size(), seen.deleted.size(), seen.retries.get(),
                    (System.nanoTime() - start) / 1e9);
        } finally {
            stop.set(true);
        }
    }

    /** The leader as "uuid@term", read from the master that says it leads. */
    static String leaderIdentity(ExternalMiniCluster cluster, Duration timeout) {
        ExternalServer leader = cluster.awaitMasterLeader(timeout);
        for (MasterEntryPB entry : leader.masterStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                .listMasters(ListMastersRequestPB.getDefaultInstance()).getMastersList()) {
            if (entry.getUuid().equals(leader.uuid())) {
                return entry.getUuid() + "@" + entry.getTerm();
            }
        }
        throw new IllegalStateException(leader + " does not list itself");
    }

    private static void runDdlLoop(MasterClient masters, Seen seen, AtomicBoolean stop) {
        try {
            long sequence = 0;
            // Bounded by the stop flag and a count.
            for (int i = 0; i < 100_000 && !stop.get(); i++) {
                String name = "t" + i;
                RequestIdPB createId = requestId(++sequence);
                CreateTableResponsePB created = untilDefinite(masters,
                        stub -> stub.createTable(MasterDdlTest.createRequest(name, 1, createId)),
                        r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), seen);
                if (created.hasError()) {
                    seen.failed.put("create " + name, created.getError());
                    continue;
                }
                seen.created.put(name, created.getTableId());
                seen.successes.incrementAndGet();
                if (i % 6 == 1) {
                    RequestIdPB alterId = requestId(++sequence);
                    String newName = name + "a";
                    AlterTableResponsePB altered = untilDefinite(masters, stub -> stub.alterTable(
                            AlterTableRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder()
                                    .setTableId(created.getTableId())).setRequestId(alterId)
                                    .addSteps(MasterAlterTableTest.addColumn("extra", DataType.STRING))
                                    .addSteps(MasterAlterTableTest.renameTable(newName)).build()),
                            r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), seen);
                    if (altered.hasError()) {
                        seen.failed.put("alter " + name, altered.getError());
                        continue;
                    }
                    seen.created.remove(name);
                    seen.created.put(newName, created.getTableId());
                    seen.altered.put(created.getTableId(), altered.getSchemaVersion());
                    seen.successes.incrementAndGet();
                }
                if (i % 3 == 2) {
                    RequestIdPB deleteId = requestId(++sequence);
                    DeleteTableResponsePB deleted = untilDefinite(masters, stub -> stub.deleteTable(
                            DeleteTableRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder()
                                    .setTableId(created.getTableId())).setRequestId(deleteId).build()),
                            r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), seen);
                    if (deleted.hasError()) {
                        seen.failed.put("delete " + name, deleted.getError());
                        continue;
                    }
                    seen.created.remove(name);
                    seen.deleted.put(name, created.getTableId());
                    seen.successes.incrementAndGet();
                }
            }
        } catch (Throwable t) {
            seen.crashed = t;
        }
    }

    /** One request at a time: every sequence below this one has its answer. */
    private static RequestIdPB requestId(long sequence) {
        return RequestIdPB.newBuilder().setClientId("ddl-loop").setSequence(sequence)
                .setFirstIncompleteSequence(sequence).build();
    }

    /**
     * Sends the same request (same request id) until its outcome is definite. NOT_THE_LEADER,
     * SERVICE_UNAVAILABLE and unreachable masters are retried inside {@link MasterClient#call}; ABORTED
     * (the entry lost to another leader's), TIMED_OUT (it may still commit) and a call that ran out of time
     * are not definite either, so they are sent again here.
     */
    private static <T> T untilDefinite(MasterClient masters,
                                       Function<basalt.proto.MasterServiceGrpc.MasterServiceBlockingStub, T> rpc,
                                       MasterClient.ErrorOf<T> errorOf, Seen seen) {
        long end = System.nanoTime() + ONE_DDL.toNanos();
        String last = "no attempt";
        // Bounded by the deadline.
        while (System.nanoTime() < end) {
            try {
                T response = masters.call(rpc, errorOf, Duration.ofNanos(Math.max(1, end - System.nanoTime())));
                Optional<ErrorPB> error = errorOf.apply(response);
                if (error.isEmpty() || error.get().getCode() != Code.ABORTED && error.get().getCode() != Code.TIMED_OUT) {
                    return response;
                }
                last = error.get().toString();
            } catch (TabletClient.CallFailedException e) {
                last = e.getMessage();
            }
            seen.retries.incrementAndGet();
        }
        throw new AssertionError("no definite outcome within " + ONE_DDL + "; last: " + last);
    }

    private static void checkCatalog(ExternalMiniCluster cluster, MasterClient masters, Seen seen) {
        // Created and not deleted: there exactly once, with the id the create returned, RUNNING eventually.
        ListTablesResponsePB tables = Poll.forValue("every created table to be RUNNING", SETTLE, () -> {
            ListTablesResponsePB list = listTables(masters);
            boolean allRunning = list.getTablesList().stream().allMatch(t -> t.getState() == TableState.TABLE_RUNNING);
            return allRunning ? Optional.of(list) : Optional.empty();
        });
        List<String> names = tables.getTablesList().stream().map(TableEntryPB::getName).toList();
        assertThat(names).as("no name twice in ListTables").doesNotHaveDuplicates();
        Map<String, String> listed = tables.getTablesList().stream()
                .collect(Collectors.toMap(TableEntryPB::getName, TableEntryPB::getTableId));
        assertThat(listed).as("exactly the tables the loop created and did not delete").isEqualTo(seen.created);

        // Every tablet of every table is hosted by each of its replicas.
        Map<String, Set<String>> expectedPerServer = new TreeMap<>();
        for (String tableId : seen.created.values()) {
            GetTableLocationsResponsePB locations = masters.call(stub -> stub.getTableLocations(
                    GetTableLocationsRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(tableId)).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), SETTLE);
            assertThat(locations.hasError()).as("locations of %s: %s", tableId, locations.getError()).isFalse();
            assertThat(locations.getTabletsList()).as("tablets of %s", tableId).hasSize(1);
            for (TabletLocationPB tablet : locations.getTabletsList()) {
                assertThat(tablet.getReplicasList()).hasSize(3);
                for (ReplicaLocationPB replica : tablet.getReplicasList()) {
                    expectedPerServer.computeIfAbsent(replica.getServer().getUuid(), u -> new TreeSet<>())
                            .add(tablet.getTabletId());
                }
            }
        }
        Set<String> liveTableIds = new TreeSet<>(seen.created.values());
        Map<String, String> nameById = new TreeMap<>();
        seen.created.forEach((name, id) -> nameById.put(id, name));
        for (Map.Entry<String, Integer> altered : seen.altered.entrySet()) {
            GetTableSchemaResponsePB schema = masters.call(stub -> stub.getTableSchema(GetTableSchemaRequestPB.newBuilder()
                    .setTable(TableIdentifierPB.newBuilder().setTableId(altered.getKey())).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), SETTLE);
            assertThat(schema.getTable().getSchema().getVersion()).as("schema of %s", altered.getKey())
                    .isEqualTo(altered.getValue()).isEqualTo(1);
            assertThat(schema.getTable().getSchema().getColumnsList()).extracting(c -> c.getName())
                    .containsExactly("id", "v", "extra");
            MasterAlterTableTest.awaitAlterDone(masters, altered.getKey(), 1);
        }
        // Hosted exactly as the catalog says: no missing replica, and (once deletions finish) no replica of
        // a deleted table.
        Map<String, Set<String>> hosted = new TreeMap<>();
        try {
            Poll.until("tablet servers to host exactly the catalog's tablets", SETTLE, () -> {
                hosted.clear();
                for (ExternalServer server : cluster.tabletServers()) {
                    Set<String> tablets = new TreeSet<>();
                    for (TabletReportPB report : server.tabletServerStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                            .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList()) {
                        tablets.add(report.getTablet().getTabletId());
                        String tableId = report.getTablet().getTableId();
                        if (!liveTableIds.contains(tableId)) {
                            tablets.add("orphan:" + tableId);
                        } else if (report.getTablet().getSchema().getVersion() != seen.altered.getOrDefault(tableId, 0)
                                || !report.getTablet().getTableName().equals(nameById.get(tableId))) {
                            tablets.add("stale:" + report.getTablet().getTabletId() + "@v"
                                    + report.getTablet().getSchema().getVersion() + "/" + report.getTablet().getTableName());
                        }
                    }
                    hosted.put(server.uuid(), tablets);
                }
                for (ExternalServer server : cluster.tabletServers()) {
                    Set<String> expected = expectedPerServer.getOrDefault(server.uuid(), Set.of());
                    if (!hosted.get(server.uuid()).equals(expected)) {
                        return false;
                    }
                }
                return true;
            });
        } catch (Poll.TimeoutException e) {
            throw new AssertionError("tablet servers host " + hosted + " but the catalog says " + expectedPerServer
                    + " (orphan:<table id> marks a replica of a table that is gone, stale:<tablet>@v<version>/<name> "
                    + "one whose schema version or table name is not the catalog's)", e);
        }
    }

    private static ListTablesResponsePB listTables(MasterClient masters) {
        ListTablesResponsePB list = masters.call(stub -> stub.listTables(ListTablesRequestPB.getDefaultInstance()),
                r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), SETTLE);
        assertThat(list.hasError()).as("ListTables: %s", list.getError()).isFalse();
        return list;
    }
}
