package basalt.itest.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.TabletClient;
import basalt.proto.ConsensusStatePB;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: a leader frozen by SIGSTOP for far longer than the election timeout (300-600 ms) is replaced
 * while writes go on, and when it thaws it steps down instead of serving its stale term: it shows up as a
 * follower at a higher term, no key is acknowledged with two values, and the group converges.
 *
 * <p>Method: an {@link AckedWriter} writes each key once with a value no other write uses, so any
 * acknowledged value that is not the final one would show up in the scan as a lost or changed row. The
 * leader is paused for 3 s; writes must be acknowledged (by a new leader) during the pause; then SIGCONT,
 * and we wait for the old leader's ListTablets report to say follower at a term above the one it led.
 * Writes continue after the resume (its queued, timed-out requests reach it then), then the writer stops
 * and the scan and checksum checks of {@link TabletChecks} run.
 */
class PausedLeaderTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration PAUSE = Duration.ofSeconds(3);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numTabletServers(3));

    @Test
    void pausedLeaderStepsDownAndNoWriteIsAcknowledgedTwice() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster);
        try (TabletClient client = ReplicatedTabletCluster.client(cluster);
             AckedWriter writer = AckedWriter.singleRows(client).start()) {
            writer.awaitAcksAfter(0, 100, WAIT);
            ExternalServer leader = TabletChecks.awaitLeader(cluster, WAIT);
            long leaderTerm = TabletChecks.report(leader, ReplicatedTabletCluster.TABLET).orElseThrow()
                    .getConsensus().getTerm();
            long pausedAt = System.nanoTime();
            leader.pause();
            try {
                writer.awaitAcksAfter(pausedAt, 50, WAIT);
                TabletChecks.measure("write stall after pausing the leader (ms)",
                        writer.stallAround(pausedAt, 50).orElseThrow().toMillis());
                // The fault's length, not a guess at a condition: keep the old leader frozen for PAUSE.
                Poll.until("the pause to last " + PAUSE, PAUSE.plusSeconds(1),
                        () -> System.nanoTime() - pausedAt >= PAUSE.toNanos());
            } finally {
                leader.resume();
            }
            ConsensusStatePB after = Poll.forValue(leader.name() + " to step down after SIGCONT", WAIT, () -> {
                ConsensusStatePB state = TabletChecks.report(leader, ReplicatedTabletCluster.TABLET).orElseThrow()
                        .getConsensus();
                return state.getRole().equals("follower") && state.getTerm() > leaderTerm && !state.getLeaderUuid()
                        .equals(leader.uuid()) ? Optional.of(state) : Optional.empty();
            });
            assertThat(after.getLeaderUuid()).isNotEmpty();
            writer.awaitAcksAfter(System.nanoTime(), 100, WAIT);
            writer.stop();
            int rows = TabletChecks.assertNoAckedWriteLost(client, writer.acked(), writer.attempted());
            assertThat(TabletChecks.awaitConverged(cluster, WAIT).rows()).isEqualTo(rows);
            TabletChecks.measure("paused leader: acknowledged writes / unknown outcomes",
                    writer.writesAcked() + " / " + writer.unknownOutcomes());
        }
    }
}
