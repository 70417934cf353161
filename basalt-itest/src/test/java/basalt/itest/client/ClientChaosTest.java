package basalt.itest.client;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.client.BasaltClient;
import basalt.client.BasaltTable;
import basalt.client.ReadMode;
import basalt.client.Scanner;
import basalt.client.Session;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal (the acceptance): a writer using AUTO_FLUSH_BACKGROUND keeps running while the leader
 * master and tablet leaders are killed -9 in turn: no error reaches it for outages shorter than the
 * operation timeout, and reading back shows every acknowledged row exactly once.
 */
class ClientChaosTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(3).numTabletServers(3));

    /**
     * Method: an AUTO_FLUSH_BACKGROUND session INSERTs ids 0, 1, 2, ... into a table of 3 tablets x 3
     * replicas; in turn, the test kills -9 the tablet server leading tablet 0, the leader master, the
     * tablet server leading tablet 1, and the leader master again, each time once writes went on after
     * the previous kill, restarting each victim. Then: the session collected no error (a batch retried after a leader change
     * gets its first outcome, not ALREADY_PRESENT), and a scan returns every inserted id exactly once with
     * its value and nothing else. The longest apply() (back-pressure during the outage) is printed.
     */
    @Test
    void backgroundWriterRidesThroughTabletLeaderAndMasterKills() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        var restarts = Executors.newVirtualThreadPerTaskExecutor();
        try (BasaltClient client = ClientClusters.client(cluster); restarts) {
            BasaltTable table = ClientClusters.createKeyValueTable(client, "writes", 3);
            List<String> tablets = ClientClusters.tabletIds(cluster, table.tableId());
            assertThat(tablets).hasSize(3);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong written = new AtomicLong();
            AtomicLong longestApplyNanos = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Session session = client.newSession().setFlushMode(Session.FlushMode.AUTO_FLUSH_BACKGROUND)
                    .setFlushInterval(Duration.ofMillis(20)).setBatchMaxOps(200).setMutationBufferSpace(2_000);
            Thread writer = Thread.ofPlatform().name("background-writer").start(() -> {
                try {
                    // Bounded by the stop flag, which the test sets within its time bound.
                    for (long id = 0; !stop.get(); id++) {
                        long start = System.nanoTime();
                        session.apply(ClientBasicsTest.insert(table, id, "v" + id));
                        longestApplyNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                        written.set(id + 1);
                    }
                    session.flush();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            List<String> victims = List.of("tablet:" + tablets.get(0), "master", "tablet:" + tablets.get(1), "master");
            CompletableFuture<Void> restarting = CompletableFuture.completedFuture(null);
            for (String victim : victims) {
                long before = written.get();
                Poll.until("writes before killing the leader (" + victim + ")", WAIT,
                        () -> written.get() > before + 1_000 || failure.get() != null);
                restarting.get(60, TimeUnit.SECONDS); // the last victim is back, so this kill leaves a majority
                ExternalServer leader = victim.equals("master") ? cluster.awaitMasterLeader(WAIT)
                        : ClientClusters.awaitLeaderOf(cluster, victim.substring("tablet:".length()), WAIT);
                leader.kill();
                long atKill = written.get();
                // The restart (a JVM start) overlaps the failover and the writes after it.
                restarting = CompletableFuture.runAsync(() -> leader.startAgain(true), restarts);
                Poll.until("writes after killing " + leader, WAIT, () -> written.get() > atKill + 2_000 || failure.get() != null);
            }
            restarting.get(60, TimeUnit.SECONDS);
            stop.set(true);
            writer.join(WAIT.toMillis() * 2);
            assertThat(writer.isAlive()).as("the writer ended").isFalse();
            assertThat(failure.get()).as("no error reached the writer").isNull();
            assertThat(client.retries()).as("the kills were ridden through by retries the writer never saw")
                    .isPositive();
            Session.RowErrors errors = session.pendingErrors();
            assertThat(errors.errors()).as("row errors").isEmpty();
            // The kills hit a session with two batches in flight per tablet, which a leader change may apply
            // in either order: the exactly-once check below covers that case too.
            assertThat(session.peakBatchesInFlightPerTablet()).as("batches in flight to one tablet at once").isEqualTo(2);

            TreeMap<Long, String> rows;
            try (Scanner scanner = client.newScannerBuilder(table).readMode(ReadMode.AT_SNAPSHOT).build()) {
                rows = ClientClusters.readAll(scanner); // fails on a key seen twice
            }
            assertThat(rows).hasSize((int) written.get());
            assertThat(rows.firstKey()).isZero();
            assertThat(rows.lastKey()).isEqualTo(written.get() - 1);
            rows.forEach((id, value) -> assertThat(value).isEqualTo("v" + id));
            System.out.println("[basalt-measure] background writer across 2 tablet-leader and 2 master-leader kills: " + written.get()
                    + " rows, longest apply " + TimeUnit.NANOSECONDS.toMillis(longestApplyNanos.get()) + " ms");
        }
    }
}
