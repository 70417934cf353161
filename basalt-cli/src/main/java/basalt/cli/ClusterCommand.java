package basalt.cli;

import basalt.cli.health.Ksck;
import basalt.cli.rpc.ClusterClient;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code basalt cluster ksck}: is the cluster healthy, and if not, exactly what is wrong (CLI.md). */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "The whole cluster.",
        subcommands = {ClusterCommand.KsckCommand.class})
final class ClusterCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: basalt cluster ksck)");
    }

    @Command(name = "ksck", mixinStandardHelpOptions = true,
            description = "Check masters, tablet servers, every tablet's leader and majority, and replica checksums; "
                    + "exit 1 if anything is unhealthy.")
    static final class KsckCommand extends ClientCommand {
        @Mixin
        Format format;

        @Option(names = "--max_lag_entries", defaultValue = "10000",
                description = "A replica further behind its leader's commit index is a problem (default ${DEFAULT-VALUE}).")
        long maxLagEntries;

        @Override
        void validate() {
            json(format);
            if (maxLagEntries < 0) {
                throw usage("--max_lag_entries must be >= 0");
            }
        }

        @Override
        int run(ClusterClient client) {
            List<Ksck.Finding> findings = new Ksck(client, deadline(), maxLagEntries).run();
            boolean healthy = Ksck.healthy(findings);
            long problems = findings.stream().filter(finding -> !finding.ok()).count();
            if (json(format)) {
                JsonObject document = new JsonObject();
                document.addProperty("healthy", healthy);
                JsonArray checks = new JsonArray();
                for (Ksck.Finding finding : findings) {
                    JsonObject entry = new JsonObject();
                    entry.addProperty("area", finding.area());
                    entry.addProperty("subject", finding.subject());
                    entry.addProperty("ok", finding.ok());
                    entry.addProperty("detail", finding.detail());
                    checks.add(entry);
                }
                document.add("checks", checks);
                printJson(document);
            } else {
                for (Ksck.Finding finding : findings) {
                    out().printf("%-7s %-15s %-45s %s%n", finding.ok() ? "OK" : "PROBLEM", finding.area(), finding.subject(),
                            finding.detail());
                }
                out().println(healthy ? "HEALTHY" : "UNHEALTHY: " + problems + " problem(s)");
                out().flush();
            }
            if (!healthy) {
                err().println("basalt cluster ksck: the cluster is not healthy (" + problems + " problem(s))");
                err().flush();
                return 1;
            }
            return 0;
        }
    }
}
