package basalt.itest.master;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.proto.Code;
import basalt.proto.ListTabletServersRequestPB;
import basalt.proto.ListTabletServersResponsePB;
import basalt.proto.TabletServerEntryPB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: after the leader master is killed -9, every tablet server heartbeats to the new leader within two
 * heartbeat intervals of its election, including when the new leader is a master that was itself killed
 * and restarted a moment before (its registry starts empty, and tablet servers' channels to it were
 * broken).
 *
 * <p>Method: 3 masters, 3 tablet servers heartbeating every {@link #INTERVAL_MS} ms. Per round: kill the
 * leader, restart it at once, and poll ListMasters until a new leader reports itself ({@code elected}:
 * when we first saw it, which is no earlier than the election). Then poll the new leader's
 * ListTabletServers: a server whose {@code millis_since_heartbeat} is less than the time since
 * {@code elected} has heartbeated to the new leader since its election; the time at which each server is
 * first seen so must be within two intervals of {@code elected} (plus the poll's own period, which only
 * delays what we see). Each is live as well. Five rounds, so a restarted master gets to lead too.
 */
class HeartbeatFailoverTest {
    static final long INTERVAL_MS = 250;
    static final int ROUNDS = 5;
    /** How often we ask: what we see lags the truth by at most this plus one call. */
    static final long POLL_MS = 10;

    /** Restarts run beside the kills (a JVM start overlaps the election); a failed restart fails the test. */
    static final Executor RESTARTS = Executors.newVirtualThreadPerTaskExecutor();

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(3).numTabletServers(3)
            .tabletServerFlags(List.of("--heartbeat_interval_ms=" + INTERVAL_MS)));

    @Test
    void everyTabletServerHeartbeatsToTheNewLeaderWithinTwoIntervals() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        List<String> report = new ArrayList<>();
        String leaderIdentity = MasterFailoverDdlTest.leaderIdentity(cluster, Duration.ofSeconds(30));
        CompletableFuture<Void> restarting = null;
        for (int round = 0; round < ROUNDS; round++) {
            if (restarting != null) {
                restarting.get(60, TimeUnit.SECONDS);
            }
            ExternalServer killed = cluster.serverByUuid(leaderIdentity.split("@")[0]);
            killed.kill();
            restarting = CompletableFuture.runAsync(() -> killed.startAgain(true), RESTARTS);
            String previous = leaderIdentity;
            leaderIdentity = Poll.forValue("a new leader after killing " + previous, Duration.ofSeconds(20), () -> {
                String now = MasterFailoverDdlTest.leaderIdentity(cluster, Duration.ofSeconds(2));
                return now.equals(previous) ? Optional.empty() : Optional.of(now);
            });
            long electedNanos = System.nanoTime();
            ExternalServer leader = cluster.serverByUuid(leaderIdentity.split("@")[0]);

            Map<String, Long> firstHeardMs = new TreeMap<>(); // tablet server uuid -> ms after `elected`
            List<String> polls = new ArrayList<>(); // what each poll saw, for the failure message
            long deadline = electedNanos + TimeUnit.SECONDS.toNanos(5);
            // Bounded by the deadline; paced by POLL_MS.
            while (firstHeardMs.size() < cluster.tabletServers().size() && System.nanoTime() < deadline) {
                ListTabletServersResponsePB servers;
                try {
                    servers = leader.masterStub().withDeadlineAfter(1, TimeUnit.SECONDS)
                            .listTabletServers(ListTabletServersRequestPB.getDefaultInstance());
                } catch (RuntimeException e) {
                    servers = ListTabletServersResponsePB.getDefaultInstance();
                    polls.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - electedNanos) + "ms: " + e);
                }
                long sinceElectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - electedNanos);
                polls.add(sinceElectedMs + "ms: " + (servers.hasError() ? servers.getError().getCode() : "") + servers.getServersList().stream()
                        .map(entry -> entry.getMillisSinceHeartbeat() + (entry.getLive() ? "" : "(dead)")).toList());
                // SERVICE_UNAVAILABLE: elected, but the first entry of its term is not applied yet; ask again.
                assertThat(servers.hasError() && servers.getError().getCode() != Code.SERVICE_UNAVAILABLE)
                        .as("the new leader %s lost leadership: %s", leaderIdentity, servers.getError()).isFalse();
                for (TabletServerEntryPB entry : servers.getServersList()) {
                    if (entry.getMillisSinceHeartbeat() < sinceElectedMs && entry.getLive()) {
                        firstHeardMs.putIfAbsent(entry.getServer().getUuid(), sinceElectedMs);
                    }
                }
                Thread.sleep(POLL_MS); // pacing of a bounded poll, not a wait for a condition
            }
            report.add(leaderIdentity + " " + firstHeardMs);
            assertThat(firstHeardMs).as("round %s: every tablet server heard by the new leader %s", round, leaderIdentity)
                    .hasSize(cluster.tabletServers().size());
            assertThat(firstHeardMs.values()).as("round %s: ms after the election each tablet server was first"
                    + " heard by %s; polls: %s", round, leaderIdentity, polls).allMatch(ms -> ms <= 2 * INTERVAL_MS + POLL_MS);
        }
        restarting.get(60, TimeUnit.SECONDS);
        System.out.println("HeartbeatFailoverTest: first heard after election, per round: " + report);
    }
}
