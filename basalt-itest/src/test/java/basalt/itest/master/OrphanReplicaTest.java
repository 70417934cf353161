package basalt.itest.master;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.MasterClient;
import basalt.proto.Code;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.DeleteTableRequestPB;
import basalt.proto.DeleteTableResponsePB;
import basalt.proto.GetTableSchemaRequestPB;
import basalt.proto.GetTableSchemaResponsePB;
import basalt.proto.ListTabletServersRequestPB;
import basalt.proto.ListTabletServersResponsePB;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.RequestIdPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TabletServerEntryPB;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: a replica that a tablet server hosts for a table that is gone gets deleted, even when that server
 * was down while the table was deleted (the leader finishes a deletion without a dead server's replica;
 * it must tell that server when it comes back, or the replica stays forever).
 *
 * <p>Method: 1 master, 3 tablet servers. Create a 1-tablet, 3-replica table and await it; kill -9 one
 * tablet server and wait until the master counts it dead; delete the table and wait until the catalog no
 * longer knows it; restart the tablet server; it must host no replica within the deadline.
 */
class OrphanReplicaTest {
    static final Duration DEADLINE = Duration.ofSeconds(30);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(3));

    @Test
    void aReplicaOfADeletedTableIsDeletedWhenItsServerReturns() {
        ExternalMiniCluster cluster = extension.get();
        try (MasterClient masters = MasterDdlTest.masterClient(cluster)) {
            CreateTableResponsePB created = masters.call(stub -> stub.createTable(MasterDdlTest.createRequest("doomed", 1,
                    RequestIdPB.newBuilder().setClientId("orphan").setSequence(1).setFirstIncompleteSequence(1).build())),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(created.hasError()).as("create: %s", created.getError()).isFalse();
            MasterDdlTest.awaitCreated(masters, created.getTableId());
            ExternalServer down = cluster.tabletServer(0);
            Poll.until("ts-0 to host the replica", DEADLINE, () -> hosted(down) == 1);

            down.kill();
            Poll.until("the master to count ts-0 dead", DEADLINE, () -> {
                ListTabletServersResponsePB servers = masters.call(stub -> stub.listTabletServers(
                        ListTabletServersRequestPB.getDefaultInstance()),
                        r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
                return servers.getServersList().stream().filter(s -> s.getServer().getUuid().equals(down.uuid()))
                        .noneMatch(TabletServerEntryPB::getLive);
            });
            DeleteTableResponsePB deleted = masters.call(stub -> stub.deleteTable(DeleteTableRequestPB.newBuilder()
                    .setTable(TableIdentifierPB.newBuilder().setTableId(created.getTableId())).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(deleted.hasError()).as("delete: %s", deleted.getError()).isFalse();
            Poll.until("the catalog to forget the table", DEADLINE, () -> {
                GetTableSchemaResponsePB schema = masters.call(stub -> stub.getTableSchema(GetTableSchemaRequestPB
                        .newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(created.getTableId())).build()),
                        r -> r.hasError() && r.getError().getCode() != Code.NOT_FOUND ? Optional.of(r.getError())
                                : Optional.empty(), DEADLINE);
                return schema.hasError() && schema.getError().getCode() == Code.NOT_FOUND;
            });

            // It comes back with the replica it hosted before it died (without the fix it keeps it forever;
            // with it, the replica may already be gone by the time we could look, so we do not).
            down.startAgain(true);
            Poll.until("the returned tablet server to delete the replica of the deleted table", DEADLINE,
                    () -> hosted(down) == 0);
        }
    }

    private static int hosted(ExternalServer server) {
        return server.tabletServerStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsCount();
    }
}
