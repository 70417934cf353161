package basalt.ycsb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.JavaCommand;
import basalt.itest.junit.MiniClusterExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.Vector;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import site.ycsb.ByteIterator;
import site.ycsb.DBException;
import site.ycsb.Status;
import site.ycsb.StringByteIterator;

/**
 * Goal: the YCSB binding against a real cluster (1 master, 3 tablet servers, replication 3). Each DB call
 * does what YCSB expects of it (read, scan in key order from a start key, update, insert, delete, and
 * NOT_FOUND for a missing key), with both partitionings and both flush modes; bad properties fail init
 * naming the property; and YCSB's own driver loads 1,000 records and runs 1,000 operations of workload A
 * in a child JVM with every operation OK.
 */
class BasaltYcsbClientTest {
    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(3));

    @Test
    void everyCallDoesWhatYcsbExpectsAndYcsbsDriverRunsWorkloadA() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        for (String partitioning : List.of("range", "hash")) {
            checkCalls(cluster, partitioning, "sync");
        }
        checkCalls(cluster, "hash", "background");
        badPropertiesFailInitNamingTheProperty(cluster);
        ycsbDriverLoadsAndRunsWorkloadA(cluster);
    }

    private void checkCalls(ExternalMiniCluster cluster, String partitioning, String flushMode) throws DBException {
        String table = "calls_" + partitioning + "_" + flushMode;
        BasaltYcsbClient db = open(cluster, Map.of("table", table, "fieldcount", "3", "basalt.partitioning", partitioning,
                "basalt.flush_mode", flushMode));
        Status insertOk = flushMode.equals("sync") ? Status.OK : Status.BATCHED_OK;
        try {
            TreeMap<String, String> expected = new TreeMap<>();
            for (int i = 0; i < 40; i++) {
                // Keys like YCSB's hashed ones, spread over every range tablet ("user1..." to "user9...").
                String key = "user" + (1 + i % 9) + String.format("%03d", i);
                assertThat(db.insert(table, key, values("field0", "a" + i, "field1", "b" + i))).isEqualTo(insertOk);
                expected.put(key, "a" + i);
            }
            if (flushMode.equals("background")) {
                db.cleanup(); // flushes; fails if any buffered insert failed
                db = open(cluster, Map.of("table", table, "fieldcount", "3", "basalt.partitioning", partitioning));
            }

            String some = expected.firstKey();
            Map<String, ByteIterator> row = new HashMap<>();
            assertThat(db.read(table, some, null, row)).isEqualTo(Status.OK);
            assertThat(strings(row)).isEqualTo(Map.of("field0", expected.get(some), "field1", "b0"));
            Map<String, ByteIterator> projected = new HashMap<>();
            assertThat(db.read(table, some, Set.of("field1"), projected)).isEqualTo(Status.OK);
            assertThat(strings(projected)).isEqualTo(Map.of("field1", "b0"));
            assertThat(db.read(table, "user0missing", null, new HashMap<>())).isEqualTo(Status.NOT_FOUND);

            assertThat(db.update(table, some, values("field2", "c"))).isEqualTo(Status.OK);
            Map<String, ByteIterator> updated = new HashMap<>();
            db.read(table, some, null, updated);
            assertThat(strings(updated)).containsEntry("field2", "c").containsEntry("field0", expected.get(some));
            assertThat(db.update(table, "user0missing", values("field2", "c"))).isEqualTo(Status.NOT_FOUND);

            // Scan: the 7 lowest keys from a start key in the middle, in order, across tablets.
            String start = expected.keySet().stream().skip(15).findFirst().orElseThrow();
            Vector<HashMap<String, ByteIterator>> scanned = new Vector<>();
            assertThat(db.scan(table, start, 7, Set.of("field0"), scanned)).isEqualTo(Status.OK);
            assertThat(scanned).extracting(r -> r.get("field0").toString())
                    .containsExactlyElementsOf(expected.tailMap(start).values().stream().limit(7).toList());

            assertThat(db.delete(table, some)).isEqualTo(Status.OK);
            assertThat(db.read(table, some, null, new HashMap<>())).isEqualTo(Status.NOT_FOUND);
            assertThat(db.insert(table, expected.lastKey(), values("field0", "dup"))).isEqualTo(Status.ERROR);
        } finally {
            db.cleanup();
        }
    }

    private void badPropertiesFailInitNamingTheProperty(ExternalMiniCluster cluster) {
        assertThatThrownBy(() -> open(cluster, Map.of("basalt.flush_mode", "sometimes")))
                .isInstanceOf(DBException.class).hasMessageContaining("basalt.flush_mode").hasMessageContaining("sometimes");
        assertThatThrownBy(() -> open(cluster, Map.of("basalt.tablets", "0")))
                .isInstanceOf(DBException.class).hasMessageContaining("basalt.tablets");
        BasaltYcsbClient noMasters = new BasaltYcsbClient();
        noMasters.setProperties(new Properties());
        assertThatThrownBy(noMasters::init).isInstanceOf(DBException.class).hasMessageContaining("basalt.masters");
        // A table made with fewer fields than asked for is refused, not half used.
        assertThatThrownBy(() -> open(cluster, Map.of("table", "calls_hash_sync", "fieldcount", "10")))
                .isInstanceOf(DBException.class).hasMessageContaining("field3");
    }

    /** YCSB's own driver (site.ycsb.Client) in a child JVM: load, then workload A, every operation OK. */
    private void ycsbDriverLoadsAndRunsWorkloadA(ExternalMiniCluster cluster) throws Exception {
        Path workload = Path.of("workloads", "workloada").toAbsolutePath();
        List<String> common = List.of("-db", BasaltYcsbClient.class.getName(), "-P", workload.toString(),
                "-p", "basalt.masters=" + cluster.masterAddresses(), "-p", "recordcount=1000",
                "-p", "operationcount=1000", "-threads", "2");
        String load = runYcsb(cluster, "-load", common);
        assertThat(count(load, "INSERT", "OK")).as(load).isEqualTo(1000);
        String run = runYcsb(cluster, "-t", common);
        assertThat(count(run, "READ", "OK") + count(run, "UPDATE", "OK")).as(run).isEqualTo(1000);
        assertThat(run).doesNotContain("Return=ERROR").doesNotContain("Return=NOT_FOUND");
    }

    private static String runYcsb(ExternalMiniCluster cluster, String phase, List<String> common) throws Exception {
        List<String> args = new ArrayList<>(List.of(phase));
        args.addAll(common);
        Path output = cluster.rootDir().resolve("ycsb" + phase + ".out");
        Process process = new ProcessBuilder(JavaCommand.forCurrentJvm("site.ycsb.Client")
                .withJvmOptions(List.of("-Xmx256m", "-XX:+UseSerialGC", "-Djava.net.preferIPv4Stack=true"))
                .commandLine(args)).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("YCSB " + phase + " did not finish in 60 s: " + read(output));
        }
        String text = read(output);
        assertThat(process.exitValue()).as(text).isZero();
        return text;
    }

    /** The count YCSB reports as "[OP], Return=STATUS, N". */
    private static long count(String output, String operation, String status) {
        Matcher matcher = Pattern.compile("\\[" + operation + "\\], Return=" + status + ", (\\d+)").matcher(output);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(no output)";
    }

    private static BasaltYcsbClient open(ExternalMiniCluster cluster, Map<String, String> settings) throws DBException {
        Properties properties = new Properties();
        properties.setProperty("basalt.masters", cluster.masterAddresses());
        properties.putAll(settings);
        BasaltYcsbClient db = new BasaltYcsbClient();
        db.setProperties(properties);
        db.init();
        return db;
    }

    private static Map<String, ByteIterator> values(String... namesAndValues) {
        Map<String, String> strings = new HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            strings.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return StringByteIterator.getByteIteratorMap(strings);
    }

    private static Map<String, String> strings(Map<String, ByteIterator> row) {
        Map<String, String> strings = new HashMap<>();
        row.forEach((name, value) -> strings.put(name, value.toString()));
        return strings;
    }
}
