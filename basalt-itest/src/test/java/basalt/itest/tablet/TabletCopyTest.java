package basalt.itest.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.TabletClient;
import basalt.proto.ConsensusStatePB;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: a follower that was down while the leader garbage-collected the WAL it would need comes back by a
 * tablet copy (a snapshot of the tablet plus the log after it), not by replaying entries the leader no
 * longer has, and ends up with the same rows as the others.
 *
 * <p>Method: small WAL segments (64 KiB) and frequent store flushes (200 ms) so the leader's durable point,
 * and with it the first index of its WAL, moves quickly. Kill a follower; its last index is at most the
 * leader's last index right after the kill. Write batches of padded rows until the leader's
 * {@code wal_first_index} is past that index, restart the follower, and wait until it has applied what
 * the leader has: its own {@code wal_first_index} must then be above 1 (its log starts after the copied
 * snapshot), every acknowledged write is readable, and checksums agree.
 */
class TabletCopyTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String TABLET = ReplicatedTabletCluster.TABLET;

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numTabletServers(3)
            .tabletServerFlags(List.of("--wal_segment_bytes", "65536", "--flush_interval_ms", "200")));

    @Test
    void followerBehindTheLeadersWalCatchesUpByTabletCopy() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster);
        // ~20 rows of ~250 bytes per write: a 64 KiB segment fills every dozen writes.
        try (TabletClient client = ReplicatedTabletCluster.client(cluster);
             AckedWriter writer = new AckedWriter(client, 20, 200, 20_000, Duration.ofSeconds(55),
                     Duration.ofSeconds(10)).start()) {
            writer.awaitAcksAfter(0, 20, WAIT);
            ExternalServer leader = TabletChecks.awaitLeader(cluster, WAIT);
            ExternalServer follower = cluster.tabletServers().stream().filter(s -> s != leader).findFirst().orElseThrow();
            follower.kill();
            long followerLastAtMost = TabletChecks.report(leader, TABLET).orElseThrow().getConsensus().getLastOpId()
                    .getIndex();
            ConsensusStatePB gced = Poll.forValue("the leader's WAL to start after index " + followerLastAtMost, WAIT,
                    () -> {
                        ConsensusStatePB state = TabletChecks.report(leader, TABLET).orElseThrow().getConsensus();
                        return state.getWalFirstIndex() > followerLastAtMost + 1 ? Optional.of(state) : Optional.empty();
                    });
            TabletChecks.measure("leader WAL when the follower restarts", "first index " + gced.getWalFirstIndex()
                    + ", segments " + gced.getWalSegments() + ", last " + gced.getLastOpId().getIndex()
                    + "; follower's last index <= " + followerLastAtMost);
            long restartedAt = System.nanoTime();
            follower.startAgain(true);
            ConsensusStatePB caughtUp = Poll.forValue(follower.name() + " to catch up with the leader", WAIT, () -> {
                long leaderApplied = TabletChecks.report(TabletChecks.awaitLeader(cluster, WAIT), TABLET).orElseThrow()
                        .getConsensus().getAppliedIndex();
                ConsensusStatePB state = TabletChecks.report(follower, TABLET).orElseThrow().getConsensus();
                return state.getAppliedIndex() >= Math.max(leaderApplied, gced.getLastOpId().getIndex())
                        ? Optional.of(state) : Optional.empty();
            });
            TabletChecks.measure("follower caught up by tablet copy after (ms)",
                    Duration.ofNanos(System.nanoTime() - restartedAt).toMillis());
            assertThat(caughtUp.getWalFirstIndex()).as("the caught-up follower's WAL starts after a copied snapshot")
                    .isGreaterThan(1);
            writer.awaitAcksAfter(System.nanoTime(), 20, WAIT);
            writer.stop();
            int rows = TabletChecks.assertNoAckedWriteLost(client, writer.acked(), writer.attempted());
            assertThat(TabletChecks.awaitConverged(cluster, WAIT).rows()).isEqualTo(rows);
        }
    }
}
