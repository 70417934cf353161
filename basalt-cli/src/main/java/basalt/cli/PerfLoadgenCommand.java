package basalt.cli;

import basalt.cli.rpc.ClusterClient;
import basalt.cli.table.TableDdl;
import basalt.cli.workload.LoadGenerator;
import basalt.client.BasaltClient;
import basalt.client.BasaltTable;
import basalt.common.net.HostPort;
import basalt.proto.PartitionSchemaPB;
import basalt.tablet.Schema;
import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code basalt perf loadgen}: insert throughput and latency into a new table (CLI.md). */
@Command(name = "loadgen", mixinStandardHelpOptions = true,
        description = {"Insert rows into a new table through the Java client from T threads; print rows/s and write "
                + "latency percentiles. A progress bar goes to stderr when it is a terminal.",
                "--batch 1: each thread writes one row at a time (AUTO_FLUSH_SYNC); latency is per row, apply to "
                        + "acknowledgement.",
                "--batch B > 1: each thread buffers rows and the client sends batches of B per tablet in the "
                        + "background, up to 2 in flight per tablet (AUTO_FLUSH_BACKGROUND, like kudu perf loadgen); "
                        + "latency is per batch, sent to acknowledged (a row's wait in the buffer is not in it)."})
final class PerfLoadgenCommand extends ClientCommand {
    /** The deadline of each row (--batch 1) or batch, as a Kudu session's default timeout. */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    @Mixin
    Format format;

    @Option(names = "--rows", description = "Rows to insert in all (default 100000 unless --seconds is given).")
    Long rows;

    @Option(names = "--seconds", description = "Insert for this long instead of a row count.")
    Double seconds;

    @Option(names = "--threads", defaultValue = "1", description = "Writer threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--batch", defaultValue = "1000",
            description = "Rows per write batch per tablet; 1 writes row by row (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--buckets", defaultValue = "3", description = "Hash buckets (tablets) of the new table (default ${DEFAULT-VALUE}).")
    int buckets;

    @Option(names = "--replicas", defaultValue = "3", description = "Replicas per tablet (default ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--keep_table", description = "Keep the table afterwards (default: delete it).")
    boolean keepTable;

    @Override
    void validate() {
        json(format);
        if (rows != null && seconds != null) {
            throw usage("give --rows or --seconds, not both");
        }
        if (rows != null && rows < 1) {
            throw usage("--rows must be >= 1, not " + rows);
        }
        if (seconds != null && !(seconds > 0 && seconds <= 24 * 3600)) {
            throw usage("--seconds must be in (0, 86400], not " + seconds);
        }
        if (threads < 1 || threads > 1024) {
            throw usage("--threads must be in [1, 1024], not " + threads);
        }
        if (batch < 1 || batch > 100_000) {
            throw usage("--batch must be in [1, 100000], not " + batch);
        }
        if (buckets < 1 || buckets > 1024) {
            throw usage("--buckets must be in [1, 1024], not " + buckets);
        }
        if (replicas < 1 || replicas % 2 == 0) {
            throw usage("--replicas must be an odd number >= 1, not " + replicas);
        }
    }

    @Override
    int run(ClusterClient client) throws InterruptedException {
        String name = "loadgen_" + System.currentTimeMillis();
        Schema schema = Schema.parse("id INT64 KEY, int_val INT64, string_val STRING");
        PartitionSchemaPB partitions = buckets == 1 ? PartitionSchemaPB.getDefaultInstance()
                : PartitionSchemaPB.newBuilder().addHashColumns("id").setHashBuckets(buckets).build();
        TableDdl.create(client, name, schema, partitions, replicas, deadline());
        long maxRows = seconds == null ? (rows == null ? 100_000 : rows) : 0;
        Duration duration = seconds == null ? null : Duration.ofNanos((long) (seconds * 1e9));
        LoadGenerator.ProgressBar progress = onTerminal() ? new LoadGenerator.ProgressBar(err()) : null;
        LoadGenerator.Result result;
        // The rows go through the public client, so the numbers are what an application using it gets.
        try (BasaltClient writer = BasaltClient.builder(masters(spec.commandLine()).stream().map(HostPort::toString).toList())
                .defaultOperationTimeout(deadline()).build()) {
            BasaltTable table = writer.openTable(name);
            result = new LoadGenerator(writer, table, threads, batch, WRITE_TIMEOUT).run(maxRows, duration, progress);
        }
        if (!keepTable) {
            TableDdl.delete(client, name, deadline());
        }
        if (json(format)) {
            JsonObject document = new JsonObject();
            document.addProperty("table", name);
            document.addProperty("threads", threads);
            document.addProperty("batch", batch);
            document.addProperty("rows", result.rows());
            document.addProperty("seconds", round(result.seconds()));
            document.addProperty("rows_per_sec", round(result.rowsPerSecond()));
            document.addProperty("p50_ms", round(result.p50Ms()));
            document.addProperty("p99_ms", round(result.p99Ms()));
            document.addProperty("errors", result.errors());
            printJson(document);
        } else {
            out().printf(Locale.ROOT, "table %s%s: %d threads, batches of %d%n", name, keepTable ? "" : " (deleted)",
                    threads, batch);
            out().printf(Locale.ROOT, "rows: %d in %.2f s, rows/s: %.0f, write latency p50: %.2f ms, p99: %.2f ms, errors: %d%n",
                    result.rows(), result.seconds(), result.rowsPerSecond(), result.p50Ms(), result.p99Ms(), result.errors());
            out().flush();
        }
        if (result.errors() > 0) {
            err().println("basalt perf loadgen: " + result.errors() + " rows failed to insert; the first: " + result.firstError());
            err().flush();
            return 1;
        }
        return 0;
    }

    /**
     * Whether a person watches: a console on JDK 21; from JDK 22 a console exists even when redirected, and
     * Console.isTerminal (not in the JDK 21 API this builds against) tells.
     */
    private static boolean onTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console means a terminal
        }
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
