package basalt.common.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Goal: the checker stays pure so the simulator can run it inside one deterministic thread and a
 * verdict never depends on the machine. Method: scan the package's sources for banned calls, each
 * naming what to use instead (TigerBeetle's tidy).
 */
class HistoryPurityTest {
    private static final Map<String, String> BANNED = Map.of(
            "System.nanoTime", "logical times passed in with the operations",
            "System.currentTimeMillis", "logical times passed in with the operations",
            "Instant.now", "logical times passed in with the operations",
            "Thread", "a single-threaded search",
            "java.util.concurrent", "a single-threaded search",
            "Random", "no randomness: the search is deterministic",
            "HashMap", "TreeMap or LinkedHashMap, so iteration order cannot vary");

    @Test
    void noClockThreadsOrRandomness() throws IOException {
        Path sources = Path.of("src/main/java/basalt/common/history");
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.list(sources)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    for (Map.Entry<String, String> ban : BANNED.entrySet()) {
                        if (lines.get(i).contains(ban.getKey()) && !lines.get(i).contains("LinkedHashMap")) {
                            violations.add(file.getFileName() + ":" + (i + 1) + " uses " + ban.getKey() + "; use " + ban.getValue());
                        }
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }
}
