package basalt.itest.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: masters get distinct loopback ports known before launch, and a master's command line names every
 * master and always binds its own port (its address is its identity).
 * Method: values only; no process is started.
 */
class MasterCommandLineTest {
    @TempDir
    Path dir;

    @Test
    void reservedPortsAreDistinctAndFreeOnLoopback() throws IOException {
        List<Integer> ports = ExternalMiniCluster.reserveLoopbackPorts(5);
        assertThat(ports).hasSize(5).doesNotHaveDuplicates().allSatisfy(port -> assertThat(port).isPositive());
        for (int port : ports) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
        }
        assertThat(ExternalMiniCluster.reserveLoopbackPorts(0)).isEmpty();
    }

    @Test
    void aMasterIsLaunchedWithEveryMasterAndAlwaysOnItsOwnPort() {
        JavaCommand command = JavaCommand.forCurrentJvm(FakeServerMain.class.getName());
        ExternalServer master = new ExternalServer(ServerKind.MASTER, "m-1", dir.resolve("m-1"), command,
                "127.0.0.1:7051,127.0.0.1:7052", 7052, List.of("--extra"), Duration.ofSeconds(1), Duration.ofSeconds(1));
        List<String> expected = List.of("master", "--master_addresses", "127.0.0.1:7051,127.0.0.1:7052",
                "--fs_wal_dir", dir.resolve("m-1/wal").toString(), "--fs_data_dir", dir.resolve("m-1/data").toString(),
                "--rpc_bind", "127.0.0.1:7052", "--webserver_port", "0", "--extra");
        assertThat(master.commandLine(0, 0)).isEqualTo(expected);
        assertThat(master.commandLine(7052, 0)).isEqualTo(expected);
        assertThatThrownBy(() -> master.commandLine(7053, 0)).hasMessageContaining("fixed port 7052");
        assertThatThrownBy(() -> new ExternalServer(ServerKind.MASTER, "m-0", dir, command, "", 0, List.of(),
                Duration.ofSeconds(1), Duration.ofSeconds(1))).hasMessageContaining("identity");

        ExternalServer tserver = new ExternalServer(ServerKind.TABLET_SERVER, "ts-0", dir.resolve("ts-0"), command,
                List.of(), Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertThat(tserver.commandLine(0, 0)).doesNotContain("--master_addresses").contains("127.0.0.1:0");
    }
}
