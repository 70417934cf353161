package basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerfWalCommandTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {}

    private static Run basalt(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = BasaltMain.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exitCode, out.toString(), err.toString());
    }

    /** Flat JSON numbers by key: enough for the one-document output of perf commands. */
    private static Map<String, Double> numbers(String json) {
        Map<String, Double> values = new LinkedHashMap<>();
        Matcher matcher = Pattern.compile("\"([a-z_0-9]+)\":\\s*(-?[0-9.]+)").matcher(json);
        while (matcher.find()) {
            values.put(matcher.group(1), Double.parseDouble(matcher.group(2)));
        }
        return values;
    }

    /** Goal: perf wal runs in-process for about a second and prints one JSON document with the contract keys. */
    @Test
    void perfWalPrintsJson() throws Exception {
        Run run = basalt("perf", "wal", "--dir", dir.toString(), "--appenders", "4", "--size", "100",
                "--seconds", "1", "--format", "json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String json = run.out().strip();
        assertThat(json).startsWith("{").endsWith("}");
        Map<String, Double> values = numbers(json);
        assertThat(values).containsKeys("ops_per_sec", "mb_per_sec", "fsync_p50_ms", "fsync_p99_ms",
                "raw_fsync_per_sec", "appenders", "record_bytes", "seconds", "fsyncs", "group_commit_speedup");
        assertThat(values.get("ops_per_sec")).isPositive();
        assertThat(values.get("raw_fsync_per_sec")).isPositive();
        assertThat(values.get("appenders")).isEqualTo(4.0);
        assertThat(values.get("record_bytes")).isEqualTo(100.0);
        assertThat(values.get("fsyncs")).isPositive().isLessThanOrEqualTo(values.get("ops") + 2);
        try (var left = Files.list(dir)) {
            assertThat(left).as("the benchmark cleans up after itself").isEmpty();
        }
    }

    /** Goal: both --flag_name and --flag-name spellings are accepted (CLI.md). */
    @Test
    void acceptsBothFlagSpellings() {
        assertThat(BasaltMain.normalizeFlags(new String[] {"--fs-wal-dir=/a-b", "--master_addresses", "x-y", "--", "--a-b"}))
                .containsExactly("--fs_wal_dir=/a-b", "--master_addresses", "x-y", "--", "--a-b");
        Run run = basalt("perf", "wal", "--dir", dir.toString(), "--appenders", "1", "--seconds", "0.2", "--format=text");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("raw fsync");
    }

    /** Goal: usage errors exit 2; failed operations exit 1 with one line on stderr. */
    @Test
    void exitCodes() throws Exception {
        assertThat(basalt("perf", "wal").exitCode()).as("missing --dir").isEqualTo(2);
        assertThat(basalt("perf", "wal", "--dir", dir.toString(), "--format", "xml").exitCode()).isEqualTo(2);
        assertThat(basalt("no-such-command").exitCode()).isEqualTo(2);
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        Run failed = basalt("perf", "wal", "--dir", notADirectory.toString(), "--seconds", "0.1");
        assertThat(failed.exitCode()).isEqualTo(1);
        assertThat(failed.err().strip()).doesNotContain("\n").contains(notADirectory.toString());
    }
}
