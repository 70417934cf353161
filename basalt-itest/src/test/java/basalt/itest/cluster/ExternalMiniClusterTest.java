package basalt.itest.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.net.HostPort;
import basalt.itest.junit.MiniClusterExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: the harness starts, breaks and restarts real JVM processes and knows their state at every step.
 * Method: a 3-process cluster of {@link FakeServerMain} per test, driven through the public API only.
 */
class ExternalMiniClusterTest {
    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder
            .numTabletServers(3)
            .mainClass(FakeServerMain.class.getName()));

    @Test
    void everyServerIsReadyOnItsOwnPortWithItsOwnUuid() {
        ExternalMiniCluster cluster = extension.get();
        List<ExternalServer> servers = cluster.tabletServers();
        assertThat(servers).hasSize(3);
        assertThat(servers).extracting(ExternalServer::uuid).doesNotHaveDuplicates();
        assertThat(servers).extracting(server -> server.rpcAddress().port()).doesNotHaveDuplicates()
                .allSatisfy(port -> assertThat(port).isPositive());
        for (ExternalServer server : servers) {
            assertThat(server.rpcAddress().host()).isEqualTo("127.0.0.1");
            var status = server.getStatus(Duration.ofSeconds(5));
            assertThat(status.getSelf().getUuid()).isEqualTo(server.uuid());
            assertThat(status.getPid()).isEqualTo(server.pid());
            assertThat(cluster.serverByUuid(server.uuid())).isSameAs(server);
            assertThat(server.logFile()).exists().startsWith(cluster.rootDir());
        }
    }

    @Test
    void killNineLeavesTheOthersServingAndARestartOnTheSamePortKeepsTheUuid() {
        ExternalMiniCluster cluster = extension.get();
        ExternalServer victim = cluster.tabletServer(1);
        String uuid = victim.uuid();
        HostPort address = victim.rpcAddress();
        long oldPid = victim.pid();

        // destroyForcibly() is SIGKILL on Linux: the exit code is 128 + 9, and no shutdown ran.
        assertThat(victim.kill()).isEqualTo(ExternalProcess.EXIT_CODE_SIGKILL);
        assertThat(victim.isAlive()).isFalse();
        assertThat(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(victim.logFile()).content().doesNotContain("stopped cleanly");
        assertThatThrownBy(() -> victim.getStatus(Duration.ofSeconds(2)))
                .isInstanceOf(StatusRuntimeException.class);
        for (ExternalServer other : List.of(cluster.tabletServer(0), cluster.tabletServer(2))) {
            assertThat(other.isAlive()).isTrue();
            assertThat(other.getStatus(Duration.ofSeconds(5)).getSelf().getUuid()).isEqualTo(other.uuid());
        }

        victim.startAgain(true);
        assertThat(victim.pid()).isNotEqualTo(oldPid);
        assertThat(victim.rpcAddress()).isEqualTo(address);
        assertThat(victim.uuid()).isEqualTo(uuid);
        assertThat(victim.getStatus(Duration.ofSeconds(5)).getPid()).isEqualTo(victim.pid());

        // A restart without pinning the port gets a fresh one from the OS, and the channel follows.
        victim.restart(false);
        assertThat(victim.uuid()).isEqualTo(uuid);
        assertThat(victim.getStatus(Duration.ofSeconds(5)).getSelf().getUuid()).isEqualTo(uuid);
    }

    @Test
    void aPausedServerTimesOutAndAnswersAgainAfterResume() {
        ExternalServer server = extension.get().tabletServer(0);
        server.pause();
        assertThat(server.isPaused()).isTrue();
        assertThat(server.isAlive()).isTrue();
        assertThat(ExternalProcess.isStoppedByKernel(server.pid())).isTrue();
        assertThatThrownBy(() -> server.getStatus(Duration.ofMillis(300)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));

        server.resume();
        assertThat(server.isPaused()).isFalse();
        assertThat(server.getStatus(Duration.ofSeconds(5)).getSelf().getUuid()).isEqualTo(server.uuid());
    }

    @Test
    void stopIsACleanSigtermEvenWhenPaused() {
        ExternalMiniCluster cluster = extension.get();
        assertThat(cluster.tabletServer(0).stop()).isZero();
        assertThat(cluster.tabletServer(0).logFile()).content().contains("stopped cleanly");

        // A paused process cannot act on SIGTERM until it runs again; stop() resumes it.
        cluster.tabletServer(1).pause();
        assertThat(cluster.tabletServer(1).stop()).isZero();
        assertThat(cluster.tabletServer(1).isAlive()).isFalse();
    }

    @Test
    void faultsReachTheProcessesInvolved() {
        ExternalMiniCluster cluster = extension.get();
        ExternalServer a = cluster.tabletServer(0);
        ExternalServer b = cluster.tabletServer(1);
        ExternalServer c = cluster.tabletServer(2);

        cluster.cut(a, b);
        cluster.cutOneWay(a, c);
        cluster.delay(b, c, Duration.ofMillis(250));
        cluster.healAll();

        assertThat(a.logFile()).content()
                .contains("fault: CUT peer=" + b.uuid() + " outbound=true inbound=true")
                .contains("fault: CUT peer=" + c.uuid() + " outbound=true inbound=false")
                .contains("fault: HEAL");
        assertThat(b.logFile()).content()
                .contains("fault: CUT peer=" + a.uuid() + " outbound=true inbound=true")
                .contains("fault: DELAY peer=" + c.uuid() + " outbound=true inbound=false delay_ms=250");
        assertThat(c.logFile()).content()
                .contains("fault: CUT peer=" + a.uuid() + " outbound=false inbound=true")
                .contains("fault: HEAL");
    }

    @Test
    void aServerThatDiesBeforeItIsReadyFailsTheWaitAtOnceWithItsLog() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        var dir = cluster.rootDir().resolve("doomed");
        ExternalServer doomed = new ExternalServer(ServerKind.TABLET_SERVER, "doomed", dir,
                JavaCommand.forCurrentJvm(FakeServerMain.class.getName()), List.of("--fake_exit_before_ready"),
                Duration.ofSeconds(30), Duration.ofSeconds(5));
        long startNanos = System.nanoTime();
        assertThatThrownBy(doomed::start)
                .isInstanceOf(Poll.AbortWait.class)
                .hasMessageContaining("exited with code 3")
                .hasMessageContaining("exiting before ready");
        assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(20));
        assertThat(Files.exists(doomed.logFile())).isTrue();
    }
}
