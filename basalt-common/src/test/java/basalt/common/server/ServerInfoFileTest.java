package basalt.common.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.net.HostPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Goal: the readiness file round-trips, replaces a stale one whole, and says clearly when it is missing or bad. */
class ServerInfoFileTest {
    @TempDir
    Path dataDir;

    @Test
    void roundTripsEveryField() throws IOException {
        ServerInfo info = new ServerInfo("5f1c0de", new HostPort("127.0.0.1", 40123),
                new HostPort("127.0.0.1", 40124), 4242);
        ServerInfoFile.write(dataDir, info);
        assertThat(ServerInfoFile.read(dataDir)).isEqualTo(info);
        // Plain lines, so a shell script can grep them.
        assertThat(Files.readAllLines(ServerInfoFile.path(dataDir))).contains(
                "uuid=5f1c0de", "rpc_address=127.0.0.1:40123", "web_address=127.0.0.1:40124", "pid=4242");
    }

    @Test
    void noWebUiIsWrittenAsEmptyAndReadAsNull() throws IOException {
        ServerInfo info = new ServerInfo("u1", new HostPort("127.0.0.1", 7051), null, 17);
        ServerInfoFile.write(dataDir, info);
        assertThat(Files.readString(ServerInfoFile.path(dataDir))).contains("web_address=");
        assertThat(ServerInfoFile.read(dataDir).webAddress()).isNull();
    }

    @Test
    void aRestartReplacesTheFileAndLeavesNoTemporaryBehind() throws IOException {
        ServerInfoFile.write(dataDir, new ServerInfo("u1", new HostPort("127.0.0.1", 7051), null, 17));
        ServerInfo second = new ServerInfo("u1", new HostPort("127.0.0.1", 7052), null, 18);
        ServerInfoFile.write(dataDir, second);
        assertThat(ServerInfoFile.read(dataDir)).isEqualTo(second);
        try (var files = Files.list(dataDir)) {
            assertThat(files.map(path -> path.getFileName().toString())).containsExactly("server-info");
        }
    }

    @Test
    void missingFileIsNoSuchFileAndEmptyForReadIfPresent() throws IOException {
        assertThatThrownBy(() -> ServerInfoFile.read(dataDir)).isInstanceOf(NoSuchFileException.class);
        assertThat(ServerInfoFile.readIfPresent(dataDir)).isEmpty();
        ServerInfoFile.delete(dataDir); // deleting what is not there is fine
    }

    @Test
    void aFileWithoutAKeyNamesTheFileAndTheKey() throws IOException {
        Files.writeString(ServerInfoFile.path(dataDir), "uuid=u1\nrpc_address=127.0.0.1:1\n");
        assertThatThrownBy(() -> ServerInfoFile.read(dataDir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("server-info")
                .hasMessageContaining("web_address");
    }

    @Test
    void portZeroIsRefusedBecauseTheFileMustCarryTheBoundPort() {
        assertThatThrownBy(() -> new ServerInfo("u1", new HostPort("127.0.0.1", 0), null, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bound port");
    }
}
