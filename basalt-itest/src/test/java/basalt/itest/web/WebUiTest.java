package basalt.itest.web;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.MasterClient;
import basalt.itest.workload.TestTables;
import basalt.proto.CreateTableRequestPB;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.RequestIdPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TabletLocationPB;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: every master and tablet server of a real cluster serves its web UI and /metrics at the address
 * its server-info names; the metrics move with what the cluster does (a create, a call to a follower, a
 * failover) and the pages show the catalog, with user-controlled names escaped.
 */
class WebUiTest {
    static final Duration DEADLINE = Duration.ofSeconds(60);
    /** A table name that would break the page if it were not escaped. */
    static final String NASTY_NAME = "<i>o&\"rders</i>";

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(3).numTabletServers(3));

    static String createTable(ExternalMiniCluster cluster, String name, int replicas) {
        try (MasterClient masters = new MasterClient(() -> cluster.masters().stream().map(ExternalServer::rpcAddress)
                .toList(), Duration.ofSeconds(2))) {
            CreateTableRequestPB request = CreateTableRequestPB.newBuilder().setName(name)
                    .setSchema(TestTables.keyValueTablet("x").getSchema())
                    .setPartitionSchema(PartitionSchemaPB.getDefaultInstance()).setNumReplicas(replicas)
                    .setRequestId(RequestIdPB.newBuilder().setClientId("web-test").setSequence(1)
                            .setFirstIncompleteSequence(1)).build();
            CreateTableResponsePB created = masters.call(stub -> stub.createTable(request),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(created.hasError()).as("create: %s", created.getError()).isFalse();
            return created.getTableId();
        }
    }

    static TabletLocationPB awaitLedTablet(ExternalServer leaderMaster, String tableId) {
        return Poll.forValue("a tablet of " + tableId + " with a reported leader", DEADLINE, () -> {
            GetTableLocationsResponsePB locations = leaderMaster.masterStub().getTableLocations(
                    GetTableLocationsRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(tableId))
                            .build());
            return locations.getTabletsList().stream()
                    .filter(t -> t.getReplicasList().stream().anyMatch(r -> r.getRole().equals("LEADER"))).findFirst();
        });
    }

    static HostPort web(ExternalServer server) {
        return server.webAddress().orElseThrow(() -> new AssertionError(server.name() + " names no web address"));
    }

    @Test
    void metricsAndPagesOfARealCluster() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        ExternalServer leader = cluster.awaitMasterLeader(DEADLINE);
        String tableId = createTable(cluster, NASTY_NAME, 3);
        TabletLocationPB tablet = awaitLedTablet(leader, tableId);

        // A follower refuses a leader-only call: counted under the code it answered with.
        ExternalServer follower = cluster.masters().stream().filter(m -> m != leader).findFirst().orElseThrow();
        assertThat(follower.masterStub().listTables(ListTablesRequestPB.getDefaultInstance()).getError().getCode().name())
                .isEqualTo("NOT_THE_LEADER");
        String followerMetrics = Web.get(web(follower), "/metrics").body();
        assertThat(Web.value(followerMetrics, "basalt_rpc_errors_total", "ListTables", "code=\"NOT_THE_LEADER\""))
                .hasValue(1.0);

        Web.Page scrape = Web.get(web(leader), "/metrics");
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.contentType()).startsWith("text/plain; version=0.0.4");
        String metrics = scrape.body();
        assertThat(Web.value(metrics, "basalt_raft_term", "group=\"catalog\"").orElseThrow()).isGreaterThanOrEqualTo(1);
        assertThat(Web.value(metrics, "basalt_raft_is_leader", "group=\"catalog\"")).hasValue(1.0);
        assertThat(Web.value(metrics, "basalt_raft_commit_index", "group=\"catalog\"").orElseThrow()).isGreaterThan(1);
        assertThat(Web.value(metrics, "basalt_catalog_tables")).hasValue(1.0);
        assertThat(Web.value(metrics, "basalt_catalog_tablets")).hasValue(1.0);
        assertThat(Web.value(metrics, "basalt_rpc_duration_seconds_count", "MasterService/CreateTable").orElseThrow())
                .isGreaterThanOrEqualTo(1);
        assertThat(Web.value(metrics, "basalt_rpc_duration_seconds_count", "MasterService/Heartbeat").orElseThrow())
                .isGreaterThanOrEqualTo(3);
        assertThat(Web.value(metrics, "basalt_wal_fsync_seconds_count").orElseThrow()).isGreaterThan(0);
        assertThat(Web.value(metrics, "basalt_wal_bytes_written_total").orElseThrow()).isGreaterThan(0);
        // The leader knows how far behind each of the two other masters is (snapshotted once a second).
        Poll.until("the catalog leader to report both followers' lag", DEADLINE, () -> Web.samples(
                Web.get(web(leader), "/metrics").body(), "basalt_raft_follower_lag_entries", "group=\"catalog\"").size() == 2);
        // Every master applies the catalog: a follower counts the table too.
        Poll.until("the follower to apply the create", DEADLINE, () -> Web.value(Web.get(web(follower), "/metrics").body(),
                "basalt_catalog_tables").orElse(0) == 1.0);

        ExternalServer tabletLeader = cluster.serverByUuid(tablet.getReplicasList().stream()
                .filter(r -> r.getRole().equals("LEADER")).findFirst().orElseThrow().getServer().getUuid());
        String tserverMetrics = Web.get(web(tabletLeader), "/metrics").body();
        assertThat(Web.value(tserverMetrics, "basalt_tserver_tablets")).hasValue(1.0);
        assertThat(Web.value(tserverMetrics, "basalt_raft_term", "group=\"" + tablet.getTabletId() + "\"").orElseThrow())
                .isGreaterThanOrEqualTo(1);
        // Exactly one replica says it leads; which one may change on a loaded machine after the lookup above.
        Poll.until("exactly one tablet server to report leading " + tablet.getTabletId(), DEADLINE, () ->
                cluster.tabletServers().stream().filter(server -> Web.value(Web.get(web(server), "/metrics").body(),
                        "basalt_raft_is_leader", "group=\"" + tablet.getTabletId() + "\"").orElse(0.0) == 1.0).count() == 1);
        assertThat(Web.value(tserverMetrics, "basalt_rpc_duration_seconds_count", "TabletServerService/CreateTablet")
                .orElseThrow()).isGreaterThanOrEqualTo(1);

        checkMasterPages(cluster, leader, tableId, tablet);
        checkTabletServerPages(cluster, tablet);

        // The leader's log file in its data dir tells of the create.
        Path logFile = leader.dataDir().resolve("logs").resolve("basalt-master.log");
        assertThat(logFile).exists();
        assertThat(Files.readString(logFile)).contains("created table " + NASTY_NAME);

        // Kill the leader: the new one logs one failover line with all four phases and counts it in its metrics.
        leader.kill();
        ExternalServer newLeader = cluster.awaitMasterLeader(DEADLINE);
        Path newLog = newLeader.dataDir().resolve("logs").resolve("basalt-master.log");
        String line = Poll.forValue("the failover line in " + newLog, DEADLINE, () -> Files.readString(newLog).lines()
                .filter(l -> l.contains("failover of the catalog to") && l.contains("tablet servers re-homed"))
                .findFirst());
        assertThat(line).containsPattern("detection \\d+ ms, election \\d+ ms, leader ready \\d+ ms,"
                + " tablet servers re-homed \\d+ ms \\(3 live\\), total \\d+ ms");
        String newMetrics = Web.get(web(newLeader), "/metrics").body();
        for (String phase : List.of("detection", "election", "leader_ready", "tservers_rehomed", "total")) {
            assertThat(Web.value(newMetrics, "basalt_master_failover_" + phase + "_seconds_count")).as(phase)
                    .hasValue(1.0);
        }
        assertThat(Web.value(newMetrics, "basalt_raft_leader_changes_total", "group=\"catalog\"").orElseThrow())
                .isGreaterThanOrEqualTo(2);
        assertThat(Web.value(newMetrics, "basalt_raft_elections_started_total", "group=\"catalog\"").orElseThrow())
                .isGreaterThanOrEqualTo(1);
    }

    private static void checkMasterPages(ExternalMiniCluster cluster, ExternalServer leader, String tableId,
                                         TabletLocationPB tablet) {
        String masters = okPage(leader, "/");
        assertThat(Web.occurrences(masters, ">LEADER<")).isEqualTo(1);
        assertThat(Web.occurrences(masters, ">FOLLOWER<")).isEqualTo(2);
        for (ExternalServer master : cluster.masters()) {
            assertThat(masters).contains(master.uuid(), master.rpcAddress().toString());
            if (master != leader) {
                assertThat(masters).contains("<a href=\"http://" + web(master) + "/\">");
            }
        }

        String tservers = okPage(leader, "/tablet-servers");
        for (ExternalServer tserver : cluster.tabletServers()) {
            assertThat(tservers).contains(tserver.uuid());
        }
        assertThat(Web.occurrences(tservers, ">LIVE<")).isEqualTo(3);

        String tables = okPage(leader, "/tables");
        assertThat(tables).contains("&lt;i&gt;o&amp;&quot;rders&lt;/i&gt;").doesNotContain(NASTY_NAME)
                .contains("href=\"/table?id=" + tableId + "\"");
        String table = okPage(leader, "/table?id=" + tableId);
        assertThat(table).contains(tablet.getTabletId(), "(LEADER)", "(FOLLOWER)").doesNotContain(NASTY_NAME);

        assertThat(okPage(leader, "/catalog")).contains("raft-state", ">LEADER<", "wal-segments", "wal-anchors");
        assertThat(okPage(leader, "/flags")).contains("webserverPort", "masterAddresses");
        assertThat(okPage(leader, "/logs")).contains("created table &lt;i&gt;o&amp;");
        assertThat(Web.get(web(leader), "/no-such-page").status()).isEqualTo(404);
        Web.Page missingId = Web.get(web(leader), "/table");
        assertThat(missingId.status()).isEqualTo(400);
        assertThat(missingId.body()).contains("needs ?id=TABLE_ID");
    }

    /**
     * The pages of the tablet server that leads the tablet now: on a loaded machine leadership may have moved
     * since the master's lookup, so the leader is found by its own page, and the leader's view of its peers
     * is looked for on whichever server leads when it is refreshed.
     */
    private static void checkTabletServerPages(ExternalMiniCluster cluster, TabletLocationPB tablet) {
        ExternalServer tserver = Poll.forValue("a tablet server page showing it leads " + tablet.getTabletId(), DEADLINE,
                () -> cluster.tabletServers().stream().filter(server -> {
                    String tablets = okPage(server, "/");
                    return tablets.contains(tablet.getTabletId()) && tablets.contains(">LEADER<") && tablets.contains("RUNNING");
                }).findFirst());
        String detail = okPage(tserver, "/tablet?id=" + tablet.getTabletId());
        assertThat(detail).contains("<title>Tablet - ", "raft-state", "wal-segments", "wal-0");
        // A leader's view of its peers is refreshed once a second.
        Poll.until("a tablet page to list the leader's two peers", DEADLINE, () -> cluster.tabletServers().stream()
                .anyMatch(server -> {
                    String page = okPage(server, "/tablet?id=" + tablet.getTabletId());
                    int peers = page.indexOf("<table id=\"raft-peers\">");
                    return peers >= 0
                            && Web.occurrences(page.substring(peers, page.indexOf("</table>", peers)), "<tr><td>") == 2;
                }));
        assertThat(okPage(tserver, "/flags")).contains("heartbeatIntervalMs");
        assertThat(okPage(tserver, "/logs")).contains("tablet server");
        assertThat(Web.get(web(tserver), "/tablet?id=nope").status()).isEqualTo(400);
    }

    private static String okPage(ExternalServer server, String path) {
        Web.Page page = Web.get(web(server), path);
        assertThat(page.status()).as("GET %s on %s: %s", path, server.name(), page.body()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        return page.body();
    }
}
