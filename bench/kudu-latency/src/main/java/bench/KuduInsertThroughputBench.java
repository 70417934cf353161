package bench;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.kudu.ColumnSchema;
import org.apache.kudu.Schema;
import org.apache.kudu.Type;
import org.apache.kudu.client.CreateTableOptions;
import org.apache.kudu.client.Insert;
import org.apache.kudu.client.KuduClient;
import org.apache.kudu.client.KuduSession;
import org.apache.kudu.client.KuduTable;
import org.apache.kudu.client.RowErrorsAndOverflowStatus;
import org.apache.kudu.client.SessionConfiguration;

/**
 * Batched inserts through the Kudu Java client, the yardstick of Basalt's ClientBench part (a): one thread,
 * AUTO_FLUSH_BACKGROUND with the client's default buffer, {@code id INT64 KEY, v STRING} with 100-byte
 * values, 3 hash tablets x 3 replicas. Rows/s over {@code seconds} after {@code warmup_seconds}, counting
 * rows flushed (a final flush ends each window), and failing on any row error. Bounded by time.
 * Usage: KuduInsertThroughputBench MASTERS [warmup_seconds] [seconds]
 */
public final class KuduInsertThroughputBench {
    public static void main(String[] args) throws Exception {
        String masters = args[0];
        int warmupSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        String value = "x".repeat(100);
        String name = "insert_bench_" + System.nanoTime();
        try (KuduClient client = new KuduClient.KuduClientBuilder(masters).build()) {
            Schema schema = new Schema(List.of(
                    new ColumnSchema.ColumnSchemaBuilder("id", Type.INT64).key(true).build(),
                    new ColumnSchema.ColumnSchemaBuilder("v", Type.STRING).nullable(true).build()));
            client.createTable(name, schema, new CreateTableOptions().addHashPartitions(List.of("id"), 3)
                    .setNumReplicas(3));
            KuduTable table = client.openTable(name);
            KuduSession session = client.newSession();
            session.setFlushMode(SessionConfiguration.FlushMode.AUTO_FLUSH_BACKGROUND);
            long[] next = {0};
            long warmRows = window(session, table, value, next, warmupSeconds);
            long t0 = System.nanoTime();
            long rows = window(session, table, value, next, seconds);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "{\"client\": \"kudu-java-1.17.1\", \"warmup_rows\": %d, \"rows\": %d,"
                    + " \"seconds\": %.2f, \"rows_per_sec\": %d}%n", warmRows, rows, elapsed, Math.round(rows / elapsed));
            session.close();
            client.deleteTable(name);
        }
    }

    /** Applies rows for {@code seconds}, then flushes; fails on any row error. Returns the rows written. */
    private static long window(KuduSession session, KuduTable table, String value, long[] next, int seconds)
            throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long start = next[0];
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1_000; i++) {
                Insert insert = table.newInsert();
                insert.getRow().addLong("id", next[0]++);
                insert.getRow().addString("v", value);
                session.apply(insert);
            }
        }
        session.flush();
        RowErrorsAndOverflowStatus errors = session.getPendingErrors();
        if (errors.getRowErrors().length > 0) {
            throw new IllegalStateException(errors.getRowErrors().length + " row errors; first: " + errors.getRowErrors()[0]);
        }
        return next[0] - start;
    }
}
