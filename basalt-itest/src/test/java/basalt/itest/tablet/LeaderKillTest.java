package basalt.itest.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.TabletClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: a 3-replica tablet under continuous writes loses no acknowledged write when replicas die by
 * SIGKILL (no clean shutdown, nothing flushed on the way out): the leader, a follower, or all three at once;
 * and once they are back, every replica holds the same rows.
 *
 * <p>Method: an {@link AckedWriter} UPSERTs fresh keys with distinct values and records what was
 * acknowledged. Each case kills its victims while the writer runs, waits for writes to be acknowledged
 * again (for the leader: by a new leader), restarts the victims on their old ports, lets more writes land,
 * stops the writer, then scans at the leader (every acknowledged key with its value, no row nobody wrote)
 * and compares Checksum at one snapshot timestamp on every replica once each has applied what the leader
 * had. The write stall across a leader kill is printed as {@code [basalt-measure]}.
 */
class LeaderKillTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numTabletServers(3));

    @Test
    void killedLeaderLosesNoAcknowledgedWrite() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster);
        try (TabletClient client = ReplicatedTabletCluster.client(cluster);
             AckedWriter writer = AckedWriter.singleRows(client).start()) {
            writer.awaitAcksAfter(0, 100, WAIT);
            ExternalServer leader = TabletChecks.awaitLeader(cluster, WAIT);
            long killedAt = System.nanoTime();
            leader.kill();
            writer.awaitAcksAfter(killedAt, 100, WAIT);
            TabletChecks.measure("write stall after killing the leader (ms)",
                    writer.stallAround(killedAt, 100).orElseThrow().toMillis());
            leader.startAgain(true);
            writer.awaitAcksAfter(System.nanoTime(), 100, WAIT);
            writer.stop();
            verify(cluster, client, writer);
        }
    }

    @Test
    void killedFollowerLosesNoAcknowledgedWrite() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster);
        try (TabletClient client = ReplicatedTabletCluster.client(cluster);
             AckedWriter writer = AckedWriter.singleRows(client).start()) {
            writer.awaitAcksAfter(0, 100, WAIT);
            ExternalServer leader = TabletChecks.awaitLeader(cluster, WAIT);
            ExternalServer follower = cluster.tabletServers().stream().filter(s -> s != leader).findFirst().orElseThrow();
            long killedAt = System.nanoTime();
            follower.kill();
            writer.awaitAcksAfter(killedAt, 100, WAIT);
            TabletChecks.measure("write stall after killing a follower (ms)",
                    writer.stallAround(killedAt, 100).orElseThrow().toMillis());
            follower.startAgain(true);
            writer.awaitAcksAfter(System.nanoTime(), 100, WAIT);
            writer.stop();
            verify(cluster, client, writer);
        }
    }

    @Test
    void allReplicasKilledTogetherLoseNoAcknowledgedWrite() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster);
        try (TabletClient client = ReplicatedTabletCluster.client(cluster);
             AckedWriter writer = AckedWriter.singleRows(client).start()) {
            writer.awaitAcksAfter(0, 100, WAIT);
            List<ExternalServer> all = cluster.tabletServers();
            long killedAt = System.nanoTime();
            all.forEach(ExternalServer::kill);
            TabletChecks.startAgainAll(all, WAIT);
            writer.awaitAcksAfter(killedAt, 100, WAIT);
            TabletChecks.measure("write stall across killing and restarting all replicas (ms)",
                    writer.stallAround(killedAt, 100).orElseThrow().toMillis());
            writer.stop();
            verify(cluster, client, writer);
        }
    }

    private static void verify(ExternalMiniCluster cluster, TabletClient client, AckedWriter writer) {
        int rows = TabletChecks.assertNoAckedWriteLost(client, writer.acked(), writer.attempted());
        TabletChecks.Agreement agreement = TabletChecks.awaitConverged(cluster, WAIT);
        assertThat(agreement.rows()).isEqualTo(rows);
        assertThat(rows).isGreaterThanOrEqualTo(writer.acked().size());
        TabletChecks.measure("acknowledged writes / unknown outcomes", writer.writesAcked() + " / " + writer.unknownOutcomes());
    }
}
