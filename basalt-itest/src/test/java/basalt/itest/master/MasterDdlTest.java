package basalt.itest.master;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.MasterClient;
import basalt.itest.workload.TabletClient;
import basalt.itest.workload.TestTables;
import basalt.proto.CreateTableRequestPB;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.DeleteTableRequestPB;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.IsCreateTableDoneRequestPB;
import basalt.proto.IsCreateTableDoneResponsePB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.RequestIdPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TabletLocationPB;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: three masters and three tablet servers as real processes: a table created through the leader
 * master gets its tablets on tablet servers, is usable, is listed and located, and is deleted from
 * the catalog and from the tablet servers; a retried create returns its first outcome.
 */
class MasterDdlTest {
    static final Duration DEADLINE = Duration.ofSeconds(60);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(3).numTabletServers(3));

    static MasterClient masterClient(ExternalMiniCluster cluster) {
        return new MasterClient(() -> cluster.masters().stream().map(ExternalServer::rpcAddress).toList(),
                Duration.ofSeconds(2));
    }

    static CreateTableRequestPB createRequest(String name, int buckets, RequestIdPB requestId) {
        PartitionSchemaPB partitions = buckets > 1
                ? PartitionSchemaPB.newBuilder().addHashColumns("id").setHashBuckets(buckets).build()
                : PartitionSchemaPB.getDefaultInstance();
        return CreateTableRequestPB.newBuilder().setName(name)
                .setSchema(TestTables.keyValueTablet("x").getSchema()).setPartitionSchema(partitions)
                .setNumReplicas(3).setRequestId(requestId).build();
    }

    static void awaitCreated(MasterClient masters, String tableId) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < end) {
            IsCreateTableDoneResponsePB done = masters.call(stub -> stub.isCreateTableDone(
                    IsCreateTableDoneRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(tableId)).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(done.hasError()).as("IsCreateTableDone: %s", done.getError()).isFalse();
            if (done.getDone()) {
                return;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("table " + tableId + " was not created within " + DEADLINE);
    }

    @Test
    void createUseListAndDeleteATable() {
        ExternalMiniCluster cluster = extension.get();
        try (MasterClient masters = masterClient(cluster)) {
            RequestIdPB requestId = RequestIdPB.newBuilder().setClientId("test").setSequence(1).setFirstIncompleteSequence(1).build();
            CreateTableResponsePB created = masters.call(stub -> stub.createTable(createRequest("orders", 2, requestId)),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(created.hasError()).as("create: %s", created.getError()).isFalse();
            CreateTableResponsePB retried = masters.call(stub -> stub.createTable(createRequest("orders", 2, requestId)),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(retried.getTableId()).as("a retried create returns its first outcome, not ALREADY_PRESENT")
                    .isEqualTo(created.getTableId());
            // A held IsCreateTableDone (long poll) answers once the table is usable: done, or not before its wait ended.
            long asked = System.nanoTime();
            IsCreateTableDoneResponsePB held = masters.call(stub -> stub.isCreateTableDone(IsCreateTableDoneRequestPB
                            .newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(created.getTableId()))
                            .setWaitMs(1_000).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            long heldMs = Duration.ofNanos(System.nanoTime() - asked).toMillis();
            assertThat(held.getDone() || heldMs >= 1_000).as("held IsCreateTableDone: done %s after %s ms",
                    held.getDone(), heldMs).isTrue();
            awaitCreated(masters, created.getTableId());
            IsCreateTableDoneResponsePB unknown = masters.call(stub -> stub.isCreateTableDone(IsCreateTableDoneRequestPB
                            .newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId("no-such-table"))
                            .setWaitMs(1_000).build()),
                    r -> r.hasError() && r.getError().getCode() != basalt.proto.Code.NOT_FOUND
                            ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(unknown.getError().getCode()).as("a table that does not exist is not waited for")
                    .isEqualTo(basalt.proto.Code.NOT_FOUND);

            GetTableLocationsResponsePB locations = masters.call(stub -> stub.getTableLocations(
                    GetTableLocationsRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder().setName("orders")).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(locations.getTabletsList()).hasSize(2);
            for (TabletLocationPB tablet : locations.getTabletsList()) {
                assertThat(tablet.getReplicasList()).hasSize(3);
                List<HostPort> replicas = tablet.getReplicasList().stream().map(ReplicaLocationPB::getServer)
                        .map(server -> new HostPort(server.getAddress().getHost(), server.getAddress().getPort())).toList();
                try (TabletClient client = new TabletClient(tablet.getTabletId(), () -> replicas, Duration.ofSeconds(2))) {
                    // Rows of the other bucket are refused per row; the ones that belong here apply.
                    client.write(TestTables.write(List.of(TestTables.upsert(1, "a"), TestTables.upsert(2, "b"),
                            TestTables.upsert(3, "c"))), DEADLINE);
                }
            }

            ListTablesResponsePB tables = masters.call(stub -> stub.listTables(ListTablesRequestPB.getDefaultInstance()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(tables.getTablesList()).extracting(t -> t.getName()).containsExactly("orders");

            masters.call(stub -> stub.deleteTable(DeleteTableRequestPB.newBuilder()
                    .setTable(TableIdentifierPB.newBuilder().setName("orders")).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            long end = System.nanoTime() + DEADLINE.toNanos();
            boolean gone = false;
            while (!gone && System.nanoTime() < end) {
                gone = cluster.tabletServers().stream().allMatch(server -> server.tabletServerStub()
                        .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsCount() == 0);
                Thread.onSpinWait();
            }
            assertThat(gone).as("every tablet server deleted the table's replicas").isTrue();
        }
    }
}
