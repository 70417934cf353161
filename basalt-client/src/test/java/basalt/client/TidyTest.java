package basalt.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Goal: the client's locating and retry code takes time and randomness from its caller (STYLE section 3),
 * so it can run in simulation later. Method: scan the production sources of basalt.client.meta and
 * basalt.client.rpc line by line for banned calls; each failure names the replacement. Comment lines are
 * skipped so Javadoc may mention the bans.
 */
class TidyTest {
    static final List<Path> ROOTS = List.of(Path.of("src/main/java/basalt/client/meta"),
            Path.of("src/main/java/basalt/client/rpc"));

    static final Map<String, String> BANNED = banned();

    private static Map<String, String> banned() {
        Map<String, String> banned = new LinkedHashMap<>();
        banned.put("System.currentTimeMillis", "Clock.wallMillis");
        banned.put("System.nanoTime", "Clock.monotonicNanos (through Deadline)");
        banned.put("new Random(", "an injected RandomGenerator");
        banned.put("ThreadLocalRandom", "an injected RandomGenerator");
        banned.put("Math.random", "an injected RandomGenerator");
        banned.put("UUID.randomUUID", "an id passed in");
        banned.put("Thread.sleep", "the Retrier's scheduler and a Deadline");
        banned.put("Instant.now", "Clock");
        banned.put("new HashMap", "LinkedHashMap or TreeMap (HashMap iteration order varies)");
        banned.put("new HashSet", "LinkedHashSet or TreeSet (HashSet iteration order varies)");
        return banned;
    }

    @Test
    void locatingAndRetryCodeAvoidsBannedCalls() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path root : ROOTS) {
            assertThat(root).as("source root (tests run from the module directory)").isDirectory();
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(path -> path.toString().endsWith(".java")).sorted().toList()) {
                    problems.addAll(check(file, Files.readAllLines(file, StandardCharsets.UTF_8)));
                }
            }
        }
        assertThat(problems).as("tidy problems").isEmpty();
    }

    @Test
    void theScannerCatchesEachBan() {
        for (String call : BANNED.keySet()) {
            assertThat(check(Path.of("Example.java"), List.of("x = " + call + "();"))).hasSize(1);
        }
        assertThat(check(Path.of("Example.java"), List.of(" * mentions Thread.sleep in a comment"))).isEmpty();
    }

    static List<String> check(Path file, List<String> lines) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("//") || line.startsWith("*") || line.startsWith("/*")) {
                continue;
            }
            for (Map.Entry<String, String> ban : BANNED.entrySet()) {
                if (line.contains(ban.getKey())) {
                    problems.add(file + ":" + (i + 1) + ": " + ban.getKey() + " is banned; use " + ban.getValue());
                }
            }
        }
        return problems;
    }
}
