package basalt.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code basalt perf wal}: WAL group-commit throughput beside the raw fsync rate of the same disk. */
@Command(name = "wal", mixinStandardHelpOptions = true,
        description = "Appends with N concurrent appenders (each appends one record and waits until it is durable), "
                + "then reports throughput, append-to-durable latency and the raw fsync rate of the same directory.")
final class PerfWalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--dir", required = true, description = "Directory to benchmark in (a fresh subdirectory is used and removed).")
    Path dir;

    @Option(names = "--appenders", defaultValue = "8", description = "Concurrent appender threads (default ${DEFAULT-VALUE}).")
    int appenders;

    @Option(names = "--size", defaultValue = "100", description = "Payload bytes per record (default ${DEFAULT-VALUE}).")
    int recordBytes;

    @Option(names = "--seconds", defaultValue = "10", description = "Seconds of WAL appends (default ${DEFAULT-VALUE}); "
            + "the raw fsync measurement runs for half as long.")
    double seconds;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() throws Exception {
        if (appenders < 1 || appenders > 1024) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--appenders must be in [1, 1024]");
        }
        if (recordBytes < 0 || recordBytes > 64 * 1024 * 1024) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--size must be in [0, 64 MiB]");
        }
        if (!(seconds > 0) || seconds > 24 * 3600) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--seconds must be in (0, 86400]");
        }
        if (!format.equals("text") && !format.equals("json")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--format must be text or json");
        }
        Duration walDuration = Duration.ofNanos((long) (seconds * 1e9));
        WalPerf.Result result = WalPerf.run(dir, appenders, recordBytes, walDuration, walDuration.dividedBy(2));
        spec.commandLine().getOut().println(format.equals("json") ? result.toJson() : result.toText());
        spec.commandLine().getOut().flush();
        return 0;
    }

    static String formatDouble(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }
}
