package basalt.itest.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.itest.junit.MiniClusterExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: masters in a mini cluster serve on the addresses every server was told, keep them across
 * restarts, and the harness finds the one that leads.
 * Method: a cluster of {@link FakeServerMain} processes (2 masters, 1 tablet server) whose fake
 * MasterService names the first master as leader; the command lines are read back from the logs.
 */
class MasterHarnessTest {
    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder
            .numMasters(2)
            .numTabletServers(1)
            .mainClass(FakeServerMain.class.getName()));

    @Test
    void mastersServeOnTheirListedAddressesAndKeepThemAcrossRestarts() {
        ExternalMiniCluster cluster = extension.get();
        assertThat(cluster.masters()).hasSize(2);
        assertThat(cluster.servers()).startsWith(cluster.master(0), cluster.master(1));
        String addresses = cluster.masterAddresses();
        assertThat(addresses).isEqualTo(cluster.master(0).rpcAddress() + "," + cluster.master(1).rpcAddress());
        assertThat(cluster.masters()).extracting(ExternalServer::rpcAddress).doesNotHaveDuplicates()
                .allSatisfy(address -> assertThat(address.host()).isEqualTo("127.0.0.1"));
        for (ExternalServer server : cluster.servers()) {
            assertThat(server.logFile()).content().contains("--master_addresses " + addresses);
        }

        assertThat(cluster.awaitMasterLeader(Duration.ofSeconds(30))).isSameAs(cluster.master(0));

        ExternalServer follower = cluster.master(1);
        HostPort address = follower.rpcAddress();
        follower.restart(false);
        assertThat(follower.rpcAddress()).isEqualTo(address);
        follower.kill();
        follower.startAgain(false);
        assertThat(follower.rpcAddress()).isEqualTo(address);
        assertThat(follower.getStatus(Duration.ofSeconds(5)).getSelf().getUuid()).isEqualTo(follower.uuid());
    }
}
