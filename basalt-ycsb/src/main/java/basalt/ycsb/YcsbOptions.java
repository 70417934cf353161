package basalt.ycsb;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The binding's properties (pass them with {@code -p name=value} or in a workload file):
 * <ul>
 *   <li>{@code basalt.masters} (required): master addresses, {@code host:port,host:port,...}.</li>
 *   <li>{@code table} (YCSB's own, default {@code usertable}): the table, made on first use with a STRING key
 *       column {@code key} and BINARY columns {@code field0..field<fieldcount-1>} (YCSB's
 *       {@code fieldcount}, default 10, and {@code fieldnameprefix}, default {@code field}).</li>
 *   <li>{@code basalt.replicas} (default 3) and {@code basalt.tablets} (default 3): of a table made here.</li>
 *   <li>{@code basalt.partitioning}: {@code hash} (default: {@code basalt.tablets} hash buckets of the key,
 *       even load) or {@code range} (split on the first digit after {@code user}, YCSB's key prefix, so
 *       scans read in key order).</li>
 *   <li>{@code basalt.flush_mode}: {@code sync} (default: each write's own outcome) or {@code background}
 *       (batched per tablet); {@code basalt.batch_size} (default 1000) operations per batch,
 *       {@code basalt.buffer_space} (default 10000, the client's) buffered before back-pressure, and
 *       {@code basalt.flush_interval_ms} (default 100).</li>
 *   <li>{@code basalt.timeout_ms} (default 30000): the deadline of each operation.</li>
 * </ul>
 * A bad value fails {@code init} naming the property and the value.
 */
record YcsbOptions(List<String> masters, String table, int fieldCount, String fieldPrefix, int replicas, int tablets,
                   boolean rangePartitioned, boolean background, int batchMaxOps, int bufferSpace,
                   Duration flushInterval, Duration timeout) {

    static YcsbOptions from(Properties p) {
        String masters = p.getProperty("basalt.masters", "").trim();
        if (masters.isEmpty()) {
            throw new IllegalArgumentException("set basalt.masters to the master addresses, e.g. "
                    + "-p basalt.masters=127.0.0.1:7051,127.0.0.1:7052,127.0.0.1:7053");
        }
        String partitioning = p.getProperty("basalt.partitioning", "hash");
        if (!partitioning.equals("hash") && !partitioning.equals("range")) {
            throw new IllegalArgumentException("basalt.partitioning must be hash or range, got '" + partitioning + "'");
        }
        String flushMode = p.getProperty("basalt.flush_mode", "sync");
        if (!flushMode.equals("sync") && !flushMode.equals("background")) {
            throw new IllegalArgumentException("basalt.flush_mode must be sync or background, got '" + flushMode + "'");
        }
        int tablets = positive(p, "basalt.tablets", 3);
        if (partitioning.equals("range") && tablets > 9) {
            throw new IllegalArgumentException("basalt.partitioning=range splits on one digit: at most 9 tablets, got "
                    + tablets);
        }
        return new YcsbOptions(Arrays.stream(masters.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
                p.getProperty("table", "usertable"), positive(p, "fieldcount", 10),
                p.getProperty("fieldnameprefix", "field"), positive(p, "basalt.replicas", 3), tablets,
                partitioning.equals("range"), flushMode.equals("background"), positive(p, "basalt.batch_size", 1_000),
                positive(p, "basalt.buffer_space", 10_000),
                Duration.ofMillis(positive(p, "basalt.flush_interval_ms", 100)),
                Duration.ofMillis(positive(p, "basalt.timeout_ms", 30_000)));
    }

    private static int positive(Properties p, String name, int defaultValue) {
        String text = p.getProperty(name);
        if (text == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException(name + " must be a positive integer, got '" + text + "'");
    }
}
