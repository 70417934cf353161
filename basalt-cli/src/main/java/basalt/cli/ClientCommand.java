package basalt.cli;

import basalt.cli.rpc.ClusterClient;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * A command that talks to a running cluster: {@code -m} and {@code --timeout_ms} (from
 * {@link MasterAdminCommands.Connection}), one {@link ClusterClient} for the command's life, and the
 * CLI.md output conventions ({@code --format text|json} for listings, usage errors exit 2).
 */
abstract class ClientCommand extends MasterAdminCommands.Connection implements Callable<Integer> {
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The {@code --format} flag of listings, perf and workload commands. */
    static final class Format {
        @Option(names = "--format", defaultValue = "text", description = "text (default) or json (one JSON document on stdout)")
        String format;
    }

    @Override
    public final Integer call() throws Exception {
        validate();
        java.util.List<basalt.common.net.HostPort> addresses = masters(spec.commandLine());
        if (addresses.isEmpty()) {
            throw usage("-m/--master_addresses lists no master");
        }
        try (ClusterClient client = new ClusterClient(addresses, Duration.ofSeconds(10))) {
            return run(client);
        }
    }

    /** Checks flags and arguments before anything is sent; throw {@link #usage} for a bad one. */
    void validate() {
    }

    abstract int run(ClusterClient client) throws Exception;

    Duration deadline() {
        return Duration.ofMillis(timeoutMs);
    }

    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    boolean json(Format format) {
        return switch (format.format) {
            case "json" -> true;
            case "text" -> false;
            default -> throw usage("--format must be text or json, not '" + format.format + "'");
        };
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    void printJson(JsonElement document) {
        out().println(GSON.toJson(document));
        out().flush();
    }

    static String toJson(JsonElement document) {
        return GSON.toJson(document);
    }
}
