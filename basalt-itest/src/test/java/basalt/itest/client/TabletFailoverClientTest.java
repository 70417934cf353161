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
import basalt.itest.junit.MiniClusterExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: a scan through the client moves to the new tablet leader when the old one is killed -9 and
 * returns exactly the rows of its snapshot. (Writes across kills: {@link ClientChaosTest}.)
 */
class TabletFailoverClientTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(3));

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
