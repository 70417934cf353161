package basalt.itest.client;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.client.BasaltClient;
import basalt.client.BasaltTable;
import basalt.client.Operation;
import basalt.client.ReadMode;
import basalt.client.Scanner;
import basalt.client.Session;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: writes and scans through the client move to the new tablet leader when the old one is killed -9,
 * without an error reaching the caller and without a row applied twice or lost.
 */
class TabletFailoverClientTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(3));

    /**
     * Method: an AUTO_FLUSH_BACKGROUND session INSERTs ids 0, 1, 2, ... into a table of 3 tablets x 3
     * replicas; the test kills the tablet server leading tablet 0, restarts it, then does the same to the
     * server leading tablet 1. Then: the session collected no error (a batch retried after a leader change
     * gets its first outcome, not ALREADY_PRESENT), and a scan returns every inserted id exactly once with
     * its value and nothing else. The longest apply() (back-pressure during the outage) is printed.
     */
    @Test
    void backgroundWriterRidesThroughTabletLeaderKills() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        try (BasaltClient client = ClientClusters.client(cluster)) {
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
            for (String tablet : tablets.subList(0, 2)) {
                long before = written.get();
                Poll.until("writes before killing the leader of " + tablet, WAIT,
                        () -> written.get() > before + 2_000 || failure.get() != null);
                ExternalServer leader = ClientClusters.awaitLeaderOf(cluster, tablet, WAIT);
                leader.kill();
                long atKill = written.get();
                Poll.until("writes after killing " + leader, WAIT, () -> written.get() > atKill + 4_000 || failure.get() != null);
                leader.startAgain(true);
            }
            stop.set(true);
            writer.join(WAIT.toMillis() * 2);
            assertThat(writer.isAlive()).as("the writer ended").isFalse();
            assertThat(failure.get()).as("no error reached the writer").isNull();
            Session.RowErrors errors = session.pendingErrors();
            assertThat(errors.errors()).as("row errors").isEmpty();

            TreeMap<Long, String> rows;
            try (Scanner scanner = client.newScannerBuilder(table).readMode(ReadMode.AT_SNAPSHOT).build()) {
                rows = ClientClusters.readAll(scanner); // fails on a key seen twice
            }
            assertThat(rows).hasSize((int) written.get());
            assertThat(rows.firstKey()).isZero();
            assertThat(rows.lastKey()).isEqualTo(written.get() - 1);
            rows.forEach((id, value) -> assertThat(value).isEqualTo("v" + id));
            System.out.println("[basalt-measure] background writer across 2 tablet-leader kills: " + written.get()
                    + " rows, longest apply " + TimeUnit.NANOSECONDS.toMillis(longestApplyNanos.get()) + " ms");
        }
    }

    /**
     * Method: 3000 rows in one tablet (3 replicas); a scanner at a snapshot reads two batches of 100; then
     * rows are updated, deleted and inserted after the snapshot, and the tablet's leader is killed -9. The
     * scanner finishes at the new leader with exactly the 3000 rows as they were at its snapshot, each once.
     */
    @Test
    void scanResumesAtTheNewLeaderWithTheRowsOfItsSnapshot() {
        ExternalMiniCluster cluster = extension.get();
        try (BasaltClient client = ClientClusters.client(cluster)) {
            BasaltTable table = ClientClusters.createKeyValueTable(client, "scanned", 1);
            String tablet = ClientClusters.tabletIds(cluster, table.tableId()).get(0);
            try (Session session = client.newSession().setFlushMode(Session.FlushMode.MANUAL_FLUSH)
                    .setMutationBufferSpace(10_000)) {
                for (long id = 0; id < 3_000; id++) {
                    session.apply(ClientBasicsTest.insert(table, id, "v" + id));
                }
                session.flush();
                assertThat(session.pendingErrors().errors()).isEmpty();
            }
            List<Long> seen = new ArrayList<>();
            try (Scanner scanner = client.newScannerBuilder(table).readMode(ReadMode.AT_SNAPSHOT).batchSizeRows(100)
                    .build()) {
                for (int batch = 0; batch < 2; batch++) {
                    scanner.nextRows().forEach(row -> {
                        assertThat(row.getString("v")).isEqualTo("v" + row.getLong("id"));
                        seen.add(row.getLong("id"));
                    });
                }
                try (Session session = client.newSession().setFlushMode(Session.FlushMode.MANUAL_FLUSH)
                        .setMutationBufferSpace(10_000)) {
                    for (long id = 0; id < 3_000; id += 3) {
                        Operation update = table.newUpdate();
                        update.row().addLong("id", id).addString("v", "changed after the snapshot");
                        session.apply(update);
                        Operation delete = table.newDelete();
                        delete.row().addLong("id", id + 1);
                        session.apply(delete);
                        session.apply(ClientBasicsTest.insert(table, 10_000 + id, "inserted after the snapshot"));
                    }
                    session.flush();
                    assertThat(session.pendingErrors().errors()).isEmpty();
                }
                ExternalServer leader = ClientClusters.awaitLeaderOf(cluster, tablet, WAIT);
                leader.kill();
                // Bounded: the tablet holds 3000 rows at the snapshot, 100 per batch.
                while (scanner.hasMoreRows()) {
                    scanner.nextRows().forEach(row -> {
                        assertThat(row.getString("v")).isEqualTo("v" + row.getLong("id"));
                        seen.add(row.getLong("id"));
                    });
                }
            }
            assertThat(seen).hasSize(3_000).doesNotHaveDuplicates();
            assertThat(seen).isSorted();
            assertThat(seen.get(seen.size() - 1)).isEqualTo(2_999L);
        }
    }
}
