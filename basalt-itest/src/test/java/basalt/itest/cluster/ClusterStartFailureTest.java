package basalt.itest.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Goal: a cluster that cannot start says why, leaves no process behind, and keeps every log. */
class ClusterStartFailureTest {
    @TempDir
    Path root;

    @Test
    void aServerDyingAtStartFailsTheClusterAndKeepsTheLogs() {
        assertThatThrownBy(() -> ExternalMiniCluster.builder()
                .rootDir(root)
                .numTabletServers(2)
                .mainClass(FakeServerMain.class.getName())
                .tabletServerFlags(List.of("--fake_exit_before_ready"))
                .start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("did not start")
                .hasMessageContaining(root.resolve("ts-0").resolve("ts-0.log").toString())
                .hasMessageContaining(root.resolve("ts-1").resolve("ts-1.log").toString())
                .satisfies(e -> assertThat(rootMessage(e)).contains("exited with code 3"));
        assertThat(root.resolve("ts-0").resolve("ts-0.log")).exists().content().contains("exiting before ready");
    }

    /** Every message down the cause chain: the cluster's summary wraps the server's own failure. */
    private static String rootMessage(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
