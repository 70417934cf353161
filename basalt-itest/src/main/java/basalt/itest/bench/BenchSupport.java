package basalt.itest.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the cluster benchmarks share: {@code --key=value} flags, a fresh work dir, the load, a median, one JSON line. */
final class BenchSupport {
    private BenchSupport() {}

    /** {@code --key=value} and bare {@code --flag} (= "true"), in order. */
    static Map<String, String> parseArgs(String[] argv) {
        Map<String, String> args = new LinkedHashMap<>();
        for (String arg : argv) {
            String[] kv = arg.replaceFirst("^--", "").split("=", 2);
            args.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        return args;
    }

    static int intArg(Map<String, String> args, String name, int def) {
        return Integer.parseInt(args.getOrDefault(name, String.valueOf(def)));
    }

    /** Deletes what an earlier run left in {@code dir}, then creates it empty. */
    static void freshDir(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        Files.createDirectories(dir);
    }

    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    static double median(List<Double> values, double ifEmpty) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n == 0 ? ifEmpty : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The value at quantile {@code q} (0..1) by nearest rank, or {@code ifEmpty}. */
    static double quantile(List<Double> values, double q, double ifEmpty) {
        List<Double> sorted = values.stream().sorted().toList();
        if (sorted.isEmpty()) {
            return ifEmpty;
        }
        int rank = (int) Math.ceil(q * sorted.size()); // 1-based
        return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
    }

    /** One JSON object on one line: strings quoted, everything else as Java prints it. */
    static void printJson(Map<String, Object> json) {
        StringBuilder line = new StringBuilder("{");
        json.forEach((key, value) -> line.append(line.length() > 1 ? ", " : "").append('"').append(key).append("\": ")
                .append(value instanceof String ? "\"" + value + "\"" : value));
        System.out.println(line.append('}'));
    }
}
