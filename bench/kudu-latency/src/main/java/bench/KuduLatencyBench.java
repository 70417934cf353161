package bench;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.kudu.ColumnSchema;
import org.apache.kudu.Schema;
import org.apache.kudu.Type;
import org.apache.kudu.client.CreateTableOptions;
import org.apache.kudu.client.Insert;
import org.apache.kudu.client.KuduClient;
import org.apache.kudu.client.KuduSession;
import org.apache.kudu.client.KuduTable;
import org.apache.kudu.client.OperationResponse;
import org.apache.kudu.client.SessionConfiguration;

/**
 * One-row INSERTs, one after another (AUTO_FLUSH_SYNC), into a 1-tablet, 3-replica table
 * {@code id INT64 KEY, v STRING} with 100-byte values: p50/p99 after a warm-up. Bounded in count and time.
 * Usage: KuduLatencyBench MASTERS [warmup_writes] [writes] [max_seconds]
 */
public final class KuduLatencyBench {
    public static void main(String[] args) throws Exception {
        String masters = args[0];
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int writes = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
        int maxSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 120;
        String value = "x".repeat(100);
        String name = "latency_bench_" + System.nanoTime();
        try (KuduClient client = new KuduClient.KuduClientBuilder(masters).build()) {
            Schema schema = new Schema(List.of(
                    new ColumnSchema.ColumnSchemaBuilder("id", Type.INT64).key(true).build(),
                    new ColumnSchema.ColumnSchemaBuilder("v", Type.STRING).nullable(true).build()));
            client.createTable(name, schema, new CreateTableOptions().setRangePartitionColumns(List.of("id"))
                    .setNumReplicas(3));
            KuduTable table = client.openTable(name);
            KuduSession session = client.newSession();
            session.setFlushMode(SessionConfiguration.FlushMode.AUTO_FLUSH_SYNC);
            Histogram warm = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
            Histogram cold = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
            long measuredStart = 0;
            int done = 0;
            for (int i = 0; i < warmup + writes && System.nanoTime() < deadline; i++) {
                Insert insert = table.newInsert();
                insert.getRow().addLong("id", i);
                insert.getRow().addString("v", value);
                long t0 = System.nanoTime();
                OperationResponse response = session.apply(insert);
                long micros = (System.nanoTime() - t0) / 1000;
                if (response.hasRowError()) {
                    throw new IllegalStateException(response.getRowError().toString());
                }
                if (i == warmup) {
                    measuredStart = t0;
                }
                if (i < Math.min(warmup, 1000)) {
                    cold.recordValue(micros);
                }
                if (i >= warmup) {
                    warm.recordValue(micros);
                    done++;
                }
            }
            double seconds = (System.nanoTime() - measuredStart) / 1e9;
            System.out.printf(Locale.ROOT, "{\"writes\": %d, \"ops_per_sec\": %d, \"p50_ms\": %.3f, \"p99_ms\": %.3f,"
                            + " \"p999_ms\": %.3f, \"max_ms\": %.3f, \"cold_first1000_p50_ms\": %.3f, \"cold_first1000_p99_ms\": %.3f}%n",
                    done, Math.round(done / seconds), warm.getValueAtPercentile(50) / 1000.0,
                    warm.getValueAtPercentile(99) / 1000.0, warm.getValueAtPercentile(99.9) / 1000.0,
                    warm.getMaxValue() / 1000.0, cold.getValueAtPercentile(50) / 1000.0,
                    cold.getValueAtPercentile(99) / 1000.0);
            session.close();
            client.deleteTable(name);
        }
    }
}
