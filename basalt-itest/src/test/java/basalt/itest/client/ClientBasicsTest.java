package basalt.itest.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.client.BasaltClient;
import basalt.client.BasaltException;
import basalt.client.BasaltTable;
import basalt.client.ColumnPredicate;
import basalt.client.ColumnPredicate.ComparisonOp;
import basalt.client.MasterInfo;
import basalt.client.Operation;
import basalt.client.OperationResponse;
import basalt.client.ReadMode;
import basalt.client.RowError;
import basalt.client.RowResult;
import basalt.client.Scanner;
import basalt.client.Session;
import basalt.client.TableInfo;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.proto.Code;
import basalt.proto.TableState;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: the client's whole surface against real processes (3 masters, 3 tablet servers), in one cluster to
 * keep the suite fast: a client given one master finds the others; DDL, listing, writes in the three
 * flush modes with row errors (and batches to one tablet pipelined only when their rows differ), scans with
 * projection, predicates, limit and both read modes; and final errors come back at once with their code,
 * not after the deadline.
 */
class ClientBasicsTest {
    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(3).numTabletServers(3));

    @Test
    void tablesRowsAndScansThroughThePublicClient() {
        ExternalMiniCluster cluster = extension.get();
        // One master address is enough: the client learns the others from ListMasters.
        try (BasaltClient client = BasaltClient.builder(cluster.master(1).rpcAddress().toString()).build()) {
            List<MasterInfo> masters = client.listMasters();
            assertThat(masters).hasSize(3);
            assertThat(masters).filteredOn(m -> m.role().equals("LEADER")).hasSize(1);
            assertThat(client.async().knownMasters()).containsAll(
                    cluster.masters().stream().map(ExternalServer::rpcAddress).toList());
            // The cluster is up once every process serves; a tablet server registers with the leader master
            // at its next heartbeat after the election, so the listing fills within a heartbeat or two.
            Poll.until("the leader master to list 3 live tablet servers", Duration.ofSeconds(30),
                    () -> client.listTabletServers().stream().filter(s -> s.live()).count() == 3);

            BasaltTable table = ClientClusters.createKeyValueTable(client, "kv", 3);
            assertThat(table.schema().keyColumnCount()).isEqualTo(1);
            assertThat(client.listTables()).extracting(TableInfo::name, TableInfo::numTablets, TableInfo::state)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("kv", 3, TableState.TABLE_RUNNING));

            // AUTO_FLUSH_SYNC: each apply returns its outcome; a duplicate key is that row's error.
            Session sync = client.newSession();
            OperationResponse first = sync.apply(insert(table, 1, "one"));
            assertThat(first.hasRowError()).isFalse();
            assertThat(first.writeTimestamp()).isPositive();
            OperationResponse duplicate = sync.apply(insert(table, 1, "again"));
            assertThat(duplicate.rowError()).map(RowError::code).contains(Code.ALREADY_PRESENT);

            // A listener that throws loses nothing: the outcome still comes back.
            Session throwingListener = client.newSession().setBatchListener(outcome -> {
                throw new IllegalStateException("a faulty listener");
            });
            assertThat(throwingListener.apply(insert(table, 2, "two")).hasRowError()).isFalse();

            // AUTO_FLUSH_BACKGROUND: batched per tablet, errors collected; the batch listener hears every
            // batch, and by the time flush returns it has heard all of them.
            List<Session.BatchOutcome> batches = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            try (Session background = client.newSession()) {
                background.setFlushMode(Session.FlushMode.AUTO_FLUSH_BACKGROUND).setBatchMaxOps(50)
                        .setMutationBufferSpace(200).setBatchListener(batches::add);
                for (long id = 100; id < 1_100; id++) {
                    background.apply(insert(table, id, "v" + id));
                }
                background.apply(insert(table, 1, "dup"));
                background.flush();
                assertThat(background.outstandingOperations()).isZero();
                synchronized (batches) {
                    assertThat(batches).extracting(Session.BatchOutcome::operations).allMatch(n -> n >= 1 && n <= 50);
                    assertThat(batches.stream().mapToInt(Session.BatchOutcome::operations).sum()).isEqualTo(1_001);
                    assertThat(batches.stream().mapToInt(Session.BatchOutcome::failedOperations).sum()).isEqualTo(1);
                    assertThat(batches).extracting(Session.BatchOutcome::latencyNanos).allMatch(nanos -> nanos > 0);
                    assertThat(batches.stream().map(Session.BatchOutcome::tabletId).distinct().count()).isEqualTo(3);
                }
                Session.RowErrors errors = background.pendingErrors();
                assertThat(errors.errors()).extracting(RowError::code).containsExactly(Code.ALREADY_PRESENT);
                assertThat(errors.errors().get(0).operation().row().toString()).contains("id=1");
            }

            // MANUAL_FLUSH: nothing is sent before flush; a full buffer refuses more.
            Session manual = client.newSession().setFlushMode(Session.FlushMode.MANUAL_FLUSH).setMutationBufferSpace(3);
            Operation update = table.newUpdate();
            update.row().addLong("id", 1).addString("v", "uno");
            manual.apply(update);
            Operation delete = table.newDelete();
            delete.row().addLong("id", 100);
            manual.apply(delete);
            Operation missing = table.newUpdate();
            missing.row().addLong("id", 99);
            missing.row().addString("v", "nobody");
            manual.apply(missing);
            assertThatThrownBy(() -> manual.apply(insert(table, 5, "five"))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("mutation buffer is full");
            assertThat(read(client, table).get(1L)).isEqualTo("one");
            manual.flush();
            assertThat(manual.pendingErrors().errors()).extracting(RowError::code).containsExactly(Code.NOT_FOUND);

            TreeMap<Long, String> rows = read(client, table);
            assertThat(rows).hasSize(1_001).containsEntry(1L, "uno").containsEntry(2L, "two").doesNotContainKey(100L)
                    .containsEntry(1_099L, "v1099");

            // Projection, predicates, limit; AT_SNAPSHOT keeps one timestamp for every tablet.
            try (Scanner scanner = client.newScannerBuilder(table).setProjectedColumnNames(List.of("v", "id"))
                    .addPredicate(ColumnPredicate.comparison("id", ComparisonOp.GREATER_EQUAL, 500L))
                    .addPredicate(ColumnPredicate.comparison("id", ComparisonOp.LESS, 600))
                    .readMode(ReadMode.AT_SNAPSHOT).batchSizeRows(7).build()) {
                TreeMap<Long, String> selected = ClientClusters.readAll(scanner);
                assertThat(selected).hasSize(100).containsEntry(500L, "v500").containsEntry(599L, "v599");
                assertThat(scanner.snapshotTimestamp()).isPositive();
                assertThat(scanner.projectionSchema().column(0).name()).isEqualTo("v");
            }
            try (Scanner limited = client.newScannerBuilder(table).limit(25).batchSizeRows(10).build()) {
                int count = 0;
                while (limited.hasMoreRows()) {
                    for (RowResult row : limited.nextRows()) {
                        assertThat(row.getString("v")).isNotNull();
                        count++;
                    }
                }
                assertThat(count).isEqualTo(25);
            }

            batchesToOneTabletPipelineOnlyWhenTheirRowsDiffer(client);

            // Final errors surface at once with their code, never as a timeout.
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.openTable("no-such-table")).isInstanceOfSatisfying(BasaltException.class,
                    e -> assertThat(e.code()).isEqualTo(Code.NOT_FOUND));
            assertThatThrownBy(() -> ClientClusters.createKeyValueTable(client, "kv", 3))
                    .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(Code.ALREADY_PRESENT));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThatThrownBy(() -> client.newScannerBuilder(table).setProjectedColumnNames(List.of("nope")).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no column 'nope'");

            client.deleteTable("kv");
            assertThat(client.listTables()).extracting(TableInfo::name).doesNotContain("kv");
            assertThatThrownBy(() -> client.openTable("kv")).isInstanceOf(BasaltException.class);
        }
    }

    /**
     * Two batches to one tablet are in flight at once when no row is in both (a flush of 200 new rows in
     * batches of 100); a batch updating the rows of the batch before it waits for that batch, so the
     * update lands last.
     */
    private static void batchesToOneTabletPipelineOnlyWhenTheirRowsDiffer(BasaltClient client) {
        BasaltTable table = ClientClusters.createKeyValueTable(client, "pipelined", 1);
        try (Session disjoint = client.newSession()) {
            disjoint.setFlushMode(Session.FlushMode.MANUAL_FLUSH).setBatchMaxOps(100);
            for (long id = 0; id < 200; id++) {
                disjoint.apply(insert(table, id, "first"));
            }
            disjoint.flush();
            assertThat(disjoint.pendingErrors().errors()).isEmpty();
            assertThat(disjoint.peakBatchesInFlightPerTablet()).isEqualTo(2);
        }
        try (Session overlapping = client.newSession()) {
            overlapping.setFlushMode(Session.FlushMode.MANUAL_FLUSH).setBatchMaxOps(100);
            for (long id = 0; id < 100; id++) {
                Operation upsert = table.newUpsert();
                upsert.row().addLong("id", id).addString("v", "second");
                overlapping.apply(upsert);
            }
            for (long id = 0; id < 100; id++) {
                Operation update = table.newUpdate();
                update.row().addLong("id", id).addString("v", "third");
                overlapping.apply(update);
            }
            overlapping.flush();
            assertThat(overlapping.pendingErrors().errors()).isEmpty();
            assertThat(overlapping.peakBatchesInFlightPerTablet()).isEqualTo(1);
        }
        TreeMap<Long, String> rows = read(client, table);
        assertThat(rows).hasSize(200);
        assertThat(rows.headMap(100L).values()).containsOnly("third");
        assertThat(rows.tailMap(100L).values()).containsOnly("first");
    }

    static Operation insert(BasaltTable table, long id, String value) {
        Operation insert = table.newInsert();
        insert.row().addLong("id", id).addString("v", value);
        return insert;
    }

    static TreeMap<Long, String> read(BasaltClient client, BasaltTable table) {
        try (Scanner scanner = client.newScannerBuilder(table).build()) {
            return ClientClusters.readAll(scanner);
        }
    }
}
