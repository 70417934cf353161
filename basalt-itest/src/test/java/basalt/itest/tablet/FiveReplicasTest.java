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
 * Goal: a 5-replica tablet tolerates two failures at once, as its majority of three promises: with the
 * leader and a follower killed -9 together, writes go on within a deadline, no acknowledged write is lost,
 * and the two restarted replicas converge with the other three.
 *
 * <p>Method: an {@link AckedWriter} runs throughout; kill the leader and one follower back to back (the
 * worst pair: the group must elect a new leader from the three left, who all must vote for it), wait for
 * writes to be acknowledged again, restart both on their old ports, let more writes land, then scan and
 * compare checksums at one snapshot timestamp on all five replicas.
 */
class FiveReplicasTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numTabletServers(5));

    @Test
    void survivesTwoSimultaneousKills() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster);
        try (TabletClient client = ReplicatedTabletCluster.client(cluster);
             AckedWriter writer = AckedWriter.singleRows(client).start()) {
            writer.awaitAcksAfter(0, 100, WAIT);
            ExternalServer leader = TabletChecks.awaitLeader(cluster, WAIT);
            ExternalServer follower = cluster.tabletServers().stream().filter(s -> s != leader).findFirst().orElseThrow();
            long killedAt = System.nanoTime();
            leader.kill();
            follower.kill();
            writer.awaitAcksAfter(killedAt, 100, WAIT);
            TabletChecks.measure("write stall after killing the leader and a follower of 5 (ms)",
                    writer.stallAround(killedAt, 100).orElseThrow().toMillis());
            TabletChecks.startAgainAll(List.of(leader, follower), WAIT);
            writer.awaitAcksAfter(System.nanoTime(), 100, WAIT);
            writer.stop();
            int rows = TabletChecks.assertNoAckedWriteLost(client, writer.acked(), writer.attempted());
            assertThat(TabletChecks.awaitConverged(cluster, WAIT).rows()).isEqualTo(rows);
            TabletChecks.measure("five replicas: acknowledged writes / unknown outcomes",
                    writer.writesAcked() + " / " + writer.unknownOutcomes());
        }
    }
}
