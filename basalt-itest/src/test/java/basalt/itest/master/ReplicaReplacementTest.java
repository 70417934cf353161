package basalt.itest.master;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.MasterClient;
import basalt.itest.workload.TabletClient;
import basalt.itest.workload.TestTables;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
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
 * Goal: a tablet server killed -9 has its replicas re-replicated elsewhere within the configured dead
 * timeout plus a minute, and writes keep succeeding. Method: 4 tablet servers, a 3-replica table, kill a
 * server hosting a replica, wait until the catalog lists 3 replicas on live servers, then write and read.
 */
class ReplicaReplacementTest {
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final long DEAD_MS = 3_000;

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(4)
            .masterFlags(List.of("--tserver_dead_ms=" + DEAD_MS)));

    @Test
    void deadServersReplicasAreReplacedAndWritesContinue() {
        ExternalMiniCluster cluster = extension.get();
        try (MasterClient masters = MasterDdlTest.masterClient(cluster)) {
            RequestIdPB id = RequestIdPB.newBuilder().setClientId("replace").setSequence(1).setFirstIncompleteSequence(1).build();
            CreateTableResponsePB created = masters.call(stub -> stub.createTable(MasterDdlTest.createRequest("kv", 1, id)),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(created.hasError()).as("create: %s", created.getError()).isFalse();
            MasterDdlTest.awaitCreated(masters, created.getTableId());
            TabletLocationPB before = locate(masters).getTablets(0);
            String victimUuid = before.getReplicas(0).getServer().getUuid();
            ExternalServer victim = cluster.serverByUuid(victimUuid);
            write(before, 1);

            long killedAt = System.nanoTime();
            victim.kill();
            long end = System.nanoTime() + DEADLINE.toNanos();
            TabletLocationPB after = before;
            while (System.nanoTime() < end) {
                after = locate(masters).getTablets(0);
                boolean replaced = after.getReplicasCount() == 3 && after.getReplicasList().stream()
                        .noneMatch(replica -> replica.getServer().getUuid().equals(victimUuid));
                if (replaced) {
                    break;
                }
                Thread.onSpinWait();
            }
            assertThat(after.getReplicasList()).extracting(r -> r.getServer().getUuid())
                    .as("3 replicas, none on the dead server").hasSize(3).doesNotContain(victimUuid);
            System.out.printf("replica replaced %.1f s after the kill (dead timeout %d ms)%n",
                    (System.nanoTime() - killedAt) / 1e9, DEAD_MS);
            write(after, 2);
        }
    }

    private static GetTableLocationsResponsePB locate(MasterClient masters) {
        return masters.call(stub -> stub.getTableLocations(GetTableLocationsRequestPB.newBuilder()
                        .setTable(TableIdentifierPB.newBuilder().setName("kv")).build()),
                r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
    }

    private static void write(TabletLocationPB tablet, long id) {
        List<HostPort> replicas = tablet.getReplicasList().stream().map(ReplicaLocationPB::getServer)
                .filter(server -> server.hasAddress())
                .map(server -> new HostPort(server.getAddress().getHost(), server.getAddress().getPort())).toList();
        try (TabletClient client = new TabletClient(tablet.getTabletId(), () -> replicas, Duration.ofSeconds(2))) {
            client.write(TestTables.write(List.of(TestTables.upsert(id, "v" + id))), DEADLINE);
            assertThat(client.scanAll(DEADLINE)).extracting(TestTables::idOf).contains(id);
        }
    }
}
