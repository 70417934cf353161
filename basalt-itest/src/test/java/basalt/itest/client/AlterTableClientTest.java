package basalt.itest.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.client.AlterTableOptions;
import basalt.client.BasaltClient;
import basalt.client.BasaltException;
import basalt.client.BasaltTable;
import basalt.client.ColumnSchema;
import basalt.client.Operation;
import basalt.client.OperationResponse;
import basalt.client.RowError;
import basalt.client.RowResult;
import basalt.client.Scanner;
import basalt.client.Session;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.junit.MiniClusterExtension;
import basalt.proto.Code;
import basalt.proto.DataType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: alterTable through the public client, under a running writer, behaves as the Session Javadoc
 * says. A writer in AUTO_FLUSH_BACKGROUND keeps inserting from the table it opened while another client
 * adds a column; batches the tablets refuse for the old schema come back as SCHEMA_MISMATCH row errors
 * telling to reopen the table, none of their rows is applied, and the writer reopens and applies them
 * again. In the end every row the writer wrote is there exactly once, the ones written after reopening
 * carry the new column, and a write from the stale table after the alter is refused the same way. Bad
 * alters fail at once with their code and change nothing.
 */
class AlterTableClientTest {
    static final Duration WRITER_LIMIT = Duration.ofSeconds(40);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(3));

    @Test
    void anAlterUnderARunningWriterRefusesStaleBatchesWholeAndTheWriterReopens() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        try (BasaltClient admin = ClientClusters.client(cluster); BasaltClient writerClient = ClientClusters.client(cluster)) {
            BasaltTable created = ClientClusters.createKeyValueTable(admin, "altered", 3);
            assertThat(created.schema().version()).isZero();

            AtomicBoolean altered = new AtomicBoolean();
            Writer writer = new Writer(writerClient, "altered", altered);
            CompletableFuture<Void> running = CompletableFuture.runAsync(writer::run);
            // Let the writer get going so the alter lands among its batches.
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (writer.applied() < 2_000 && System.nanoTime() < waitUntil && !running.isDone()) {
                Thread.sleep(5);
            }
            BasaltTable after = admin.alterTable("altered", new AlterTableOptions().addNullableColumn("note", DataType.STRING));
            altered.set(true);
            running.get(WRITER_LIMIT.toSeconds() + 20, TimeUnit.SECONDS);

            assertThat(after.schema().version()).isPositive();
            assertThat(after.schema().columns()).extracting(ColumnSchema::name).containsExactly("id", "v", "note");
            assertThat(writer.otherErrors).as("errors other than SCHEMA_MISMATCH").isEmpty();
            assertThat(writer.reopened).as("the writer saw the new schema").isTrue();

            // Every row the writer wrote is there once: refused batches were not applied, and applied again.
            Map<Long, RowResult> rows = readAll(admin, after);
            assertThat(rows.keySet()).isEqualTo(writer.ids);
            for (long id : writer.idsWithNote) {
                assertThat(rows.get(id).getString("note")).isEqualTo("n" + id);
            }

            // A write from the table opened before the alter is refused whole, with the advice to reopen.
            Session sync = admin.newSession();
            OperationResponse stale = sync.apply(insert(created, 1_000_000, "stale"));
            assertThat(stale.rowError()).map(RowError::code).contains(Code.SCHEMA_MISMATCH);
            assertThat(stale.rowError().get().message()).contains("reopen the table").contains("schema version 0");
            assertThat(sync.apply(insert(after, 1_000_000, "fresh")).hasRowError()).isFalse();

            // Renames: the returned table already has them; the old name is gone.
            BasaltTable renamed = admin.alterTable("altered",
                    new AlterTableOptions().renameColumn("v", "value").renameTable("renamed"));
            assertThat(renamed.name()).isEqualTo("renamed");
            assertThat(renamed.schema().columns()).extracting(ColumnSchema::name).containsExactly("id", "value", "note");
            assertThat(renamed.schema().version()).isGreaterThan(after.schema().version());
            assertThat(readAll(admin, admin.openTable("renamed")).get(1_000_000L).getString("value")).isEqualTo("fresh");
            assertThatThrownBy(() -> admin.openTable("altered")).isInstanceOf(BasaltException.class)
                    .satisfies(e -> assertThat(((BasaltException) e).code()).isEqualTo(Code.NOT_FOUND));

            // Bad alters fail at once naming the problem, and change nothing.
            assertThatThrownBy(() -> admin.alterTable("renamed", new AlterTableOptions().dropColumn("no_such")))
                    .isInstanceOf(BasaltException.class).hasMessageContaining("no_such");
            assertThatThrownBy(() -> admin.alterTable("renamed", new AlterTableOptions()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no change");
            assertThat(admin.openTable("renamed").schema().version()).isEqualTo(renamed.schema().version());
        }
    }

    /**
     * Inserts ids 0, 1, 2, ... in AUTO_FLUSH_BACKGROUND from the table it opened, checking errors at every
     * flush: SCHEMA_MISMATCH makes it reopen the table and apply the refused rows again; anything else is
     * kept for the test to fail on. Stops 2,000 rows after the alter is done, at 200,000 rows, or after
     * {@link #WRITER_LIMIT}.
     */
    static final class Writer {
        final BasaltClient client;
        final String tableName;
        final AtomicBoolean altered;
        final TreeSet<Long> ids = new TreeSet<>();
        final TreeSet<Long> idsWithNote = new TreeSet<>();
        final List<RowError> otherErrors = new ArrayList<>();
        /** The key of every operation applied, to apply a refused one again from the reopened table. */
        private final Map<Operation, Long> idOf = new IdentityHashMap<>();
        volatile boolean reopened;
        private volatile long applied;

        Writer(BasaltClient client, String tableName, AtomicBoolean altered) {
            this.client = client;
            this.tableName = tableName;
            this.altered = altered;
        }

        long applied() {
            return applied;
        }

        void run() {
            BasaltTable table = client.openTable(tableName);
            long endNanos = System.nanoTime() + WRITER_LIMIT.toNanos();
            long stopAt = Long.MAX_VALUE;
            try (Session session = client.newSession()) {
                session.setFlushMode(Session.FlushMode.AUTO_FLUSH_BACKGROUND).setBatchMaxOps(100)
                        .setFlushInterval(Duration.ofMillis(20));
                for (long id = 0; id < 200_000 && id < stopAt && System.nanoTime() < endNanos; id++) {
                    session.apply(withNote(insert(table, id, "v" + id), id));
                    ids.add(id);
                    applied = id + 1;
                    if (stopAt == Long.MAX_VALUE && altered.get()) {
                        stopAt = id + 2_000;
                    }
                    if (id % 200 == 199) {
                        table = flushAndReapply(session, table);
                    }
                }
                table = flushAndReapply(session, table);
                // Rows applied again may be refused again only by yet another alter; this test makes one.
                flushAndReapply(session, table);
            }
        }

        private BasaltTable flushAndReapply(Session session, BasaltTable table) {
            session.flush();
            List<RowError> errors = session.pendingErrors().errors();
            List<Long> refused = new ArrayList<>();
            for (RowError error : errors) {
                if (error.code() == Code.SCHEMA_MISMATCH && error.message().contains("reopen the table")) {
                    refused.add(idOf.get(error.operation()));
                } else {
                    otherErrors.add(error);
                }
            }
            if (refused.isEmpty()) {
                return table;
            }
            BasaltTable fresh = client.openTable(tableName);
            reopened = true;
            for (long id : refused) {
                session.apply(withNote(insert(fresh, id, "v" + id), id));
            }
            return fresh;
        }

        private Operation withNote(Operation insert, long id) {
            idOf.put(insert, id);
            if (insert.table().schema().indexOf("note") >= 0) {
                insert.row().addString("note", "n" + id);
                idsWithNote.add(id);
            }
            return insert;
        }
    }

    static Operation insert(BasaltTable table, long id, String value) {
        Operation insert = table.newInsert();
        insert.row().addLong("id", id).addString(table.schema().indexOf("v") >= 0 ? "v" : "value", value);
        return insert;
    }

    static Map<Long, RowResult> readAll(BasaltClient client, BasaltTable table) {
        Map<Long, RowResult> rows = new HashMap<>();
        try (Scanner scanner = client.newScannerBuilder(table).build()) {
            // Bounded: every batch but the last has rows, and the table is finite.
            while (scanner.hasMoreRows()) {
                for (RowResult row : scanner.nextRows()) {
                    if (rows.put(row.getLong("id"), row) != null) {
                        throw new AssertionError("key " + row.getLong("id") + " returned twice");
                    }
                }
            }
        }
        return rows;
    }
}
