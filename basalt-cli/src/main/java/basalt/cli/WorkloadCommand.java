package basalt.cli;

import basalt.cli.rpc.ClusterClient;
import basalt.cli.rpc.TableRoute;
import basalt.cli.table.TableDdl;
import basalt.cli.workload.RegisterWorkload;
import basalt.common.history.HistoryJson;
import basalt.common.history.Operation;
import basalt.proto.PartitionSchemaPB;
import basalt.tablet.Schema;
import com.google.gson.JsonObject;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code basalt workload register}: a linearizability test of reads, writes and compare-and-sets (CLI.md). */
@Command(name = "workload", mixinStandardHelpOptions = true, description = "Correctness workloads with a checked history.",
        subcommands = {WorkloadCommand.RegisterCommand.class})
final class WorkloadCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: basalt workload register)");
    }

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = "Concurrent read/write/compare-and-set on a few rows of a new table; writes the history "
                    + "(JSON lines) and checks it for linearizability. Exit 1 if it is not linearizable.")
    static final class RegisterCommand extends ClientCommand {
        @Mixin
        Format format;

        @Option(names = "--seconds", defaultValue = "10", description = "How long to run (default ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--keys", defaultValue = "3", description = "Rows (registers) to work on (default ${DEFAULT-VALUE}).")
        int keys;

        @Option(names = "--clients", defaultValue = "5", description = "Concurrent clients (default ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--history", required = true, description = "File to write the history to (JSON lines).")
        Path historyFile;

        @Option(names = "--replicas", defaultValue = "3", description = "Replicas of the workload's tablet (default ${DEFAULT-VALUE}).")
        int replicas;

        @Option(names = "--seed", description = "Seed of the operation mix (default: the current time).")
        Long seed;

        @Override
        void validate() {
            json(format);
            if (!(seconds > 0 && seconds <= 3600)) {
                throw usage("--seconds must be in (0, 3600], not " + seconds);
            }
            if (keys < 1 || keys > 1000) {
                throw usage("--keys must be in [1, 1000], not " + keys);
            }
            if (clients < 1 || clients > 100) {
                throw usage("--clients must be in [1, 100], not " + clients);
            }
            if (replicas < 1 || replicas % 2 == 0) {
                throw usage("--replicas must be an odd number >= 1, not " + replicas);
            }
            Path parent = historyFile.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw usage("--history: directory " + parent + " does not exist");
            }
        }

        @Override
        int run(ClusterClient client) throws Exception {
            String name = "register_" + System.currentTimeMillis();
            TableDdl.create(client, name, Schema.parse("k STRING KEY, v INT64"), PartitionSchemaPB.getDefaultInstance(),
                    replicas, deadline());
            TableRoute route = TableRoute.lookup(client, name, deadline());
            long usedSeed = seed != null ? seed : System.nanoTime();
            RegisterWorkload.Outcome outcome = new RegisterWorkload(client, route, keys, Duration.ofSeconds(10))
                    .run(clients, Duration.ofNanos((long) (seconds * 1e9)), usedSeed);
            try (Writer writer = Files.newBufferedWriter(historyFile, StandardCharsets.UTF_8)) {
                HistoryJson.write(outcome.operations(), writer);
            }
            TableDdl.delete(client, name, deadline());
            boolean linearizable = outcome.verdict().isLinearizable();
            if (json(format)) {
                JsonObject document = new JsonObject();
                document.addProperty("ops", outcome.operations().size());
                document.addProperty("ok", outcome.count(Operation.Status.OK));
                document.addProperty("fail", outcome.count(Operation.Status.FAIL));
                document.addProperty("info", outcome.count(Operation.Status.INFO));
                document.addProperty("linearizable", linearizable);
                document.addProperty("verdict", outcome.verdict().verdict().name());
                document.addProperty("explanation", outcome.verdict().explanation());
                document.addProperty("seed", usedSeed);
                document.addProperty("history", historyFile.toString());
                printJson(document);
            } else {
                out().printf("%d operations: %d ok, %d fail, %d info; history in %s (seed %d)%n", outcome.operations().size(),
                        outcome.count(Operation.Status.OK), outcome.count(Operation.Status.FAIL),
                        outcome.count(Operation.Status.INFO), historyFile, usedSeed);
                out().println("linearizable: " + linearizable + (linearizable ? "" : " (" + outcome.verdict() + ")"));
                out().flush();
            }
            if (!linearizable) {
                err().println("basalt workload register: the history is not linearizable: " + outcome.verdict());
                err().flush();
                return 1;
            }
            return 0;
        }
    }
}
