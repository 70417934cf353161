package bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.kudu.ColumnSchema;
import org.apache.kudu.Schema;
import org.apache.kudu.Type;
import org.apache.kudu.client.CreateTableOptions;
import org.apache.kudu.client.KuduClient;

/**
 * CreateTable one at a time through the Kudu Java client, the yardstick of Basalt's MasterFailoverBench part
 * (b): 1 tablet x 3 replicas, each create waiting until the table is usable (the client's createTable waits
 * on IsCreateTableDone by default). Tables per second over {@code seconds} after {@code warmup_seconds};
 * every table made is deleted at the end. Bounded by time. Usage: KuduCreateTableRateBench MASTERS
 * [warmup_seconds] [seconds]
 */
public final class KuduCreateTableRateBench {
    public static void main(String[] args) throws Exception {
        String masters = args[0];
        int warmupSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Schema schema = new Schema(List.of(
                new ColumnSchema.ColumnSchemaBuilder("id", Type.INT64).key(true).build(),
                new ColumnSchema.ColumnSchemaBuilder("v", Type.STRING).nullable(true).build()));
        List<String> made = new ArrayList<>();
        try (KuduClient client = new KuduClient.KuduClientBuilder(masters).build()) {
            String prefix = "create_bench_" + System.nanoTime() + "_";
            createFor(client, schema, prefix, made, warmupSeconds, new ArrayList<>());
            List<Double> millis = new ArrayList<>();
            long t0 = System.nanoTime();
            int tables = createFor(client, schema, prefix, made, seconds, millis);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            Collections.sort(millis);
            System.out.printf(Locale.ROOT, "{\"client\": \"kudu-java-1.17.1\", \"tables\": %d, \"seconds\": %.2f,"
                    + " \"creates_per_second\": %.1f, \"create_until_usable_ms_median\": %.1f}%n", tables, elapsed,
                    tables / elapsed, millis.isEmpty() ? 0 : millis.get(millis.size() / 2));
            for (String name : made) {
                client.deleteTable(name);
            }
        }
    }

    private static int createFor(KuduClient client, Schema schema, String prefix, List<String> made, int seconds,
            List<Double> millis) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int count = 0;
        while (System.nanoTime() < end) {
            String name = prefix + made.size();
            long start = System.nanoTime();
            client.createTable(name, schema, new CreateTableOptions()
                    .setRangePartitionColumns(List.of()).setNumReplicas(3));
            millis.add((System.nanoTime() - start) / 1e6);
            made.add(name);
            count++;
        }
        return count;
    }
}
