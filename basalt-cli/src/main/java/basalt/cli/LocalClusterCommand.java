package basalt.cli;

import basalt.common.net.HostPort;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code basalt local-cluster}: a whole cluster of real processes on 127.0.0.1 in the foreground, until
 * Ctrl-C or SIGTERM stops every one of them cleanly (exit 0). If a server dies while starting, the others
 * are stopped and the command exits 1 naming the server and its log. See {@link LocalCluster} for DIR's
 * layout; a restart on the same DIR brings back the same cluster with its data.
 */
@Command(name = "local-cluster", mixinStandardHelpOptions = true,
        description = "Start a whole cluster of real processes on 127.0.0.1; Ctrl-C stops it.")
final class LocalClusterCommand implements Callable<Integer> {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    CommandLine.Model.CommandSpec spec;

    // Integer, not int: "not given" lets a restart take the counts recorded in DIR.
    @Option(names = "--masters", description = "Number of masters (default 3, or what DIR holds).")
    Integer masters;

    @Option(names = "--tservers", description = "Number of tablet servers (default 3, or what DIR holds).")
    Integer tservers;

    @Option(names = "--data", defaultValue = "./basalt-data", description = "Directory of every server's data and logs (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--base_port", description = "Masters use base_port+1.., tablet servers base_port+11..; 0 (default) lets the OS choose.")
    Integer basePort;

    @Option(names = "--format", defaultValue = "text", description = "Startup summary as text or json.")
    String format;

    @Option(names = "--server_jvm_options", defaultValue = "",
            description = "Extra JVM options for every server, after the laptop defaults (C1 only, 256 MB heap), e.g. "
                    + "\"-XX:TieredStopAtLevel=4 -Xmx1g\" for benchmarks.")
    String serverJvmOptions;

    @Option(names = "--startup_timeout_s", defaultValue = "90", description = "How long the cluster may take to serve (default ${DEFAULT-VALUE}).")
    long startupTimeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("text") && !format.equals("json")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--format must be text or json, not " + format);
        }
        LocalClusterLayout layout;
        try {
            layout = LocalClusterLayout.resolve(data.toAbsolutePath().normalize(), masters, tservers, basePort);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        List<String> extraJvmOptions = serverJvmOptions.isBlank() ? List.of() : List.of(serverJvmOptions.trim().split("\\s+"));
        LocalCluster cluster = new LocalCluster(data, layout, spec.commandLine().getErr(), extraJvmOptions);
        CountDownLatch stopped = new CountDownLatch(1);
        // Before start(): a Ctrl-C while servers start must stop the ones already launched.
        Signals.onTerminate(() -> {
            cluster.stop(STOP_TIMEOUT);
            stopped.countDown();
        });
        List<LocalCluster.Member> members = cluster.start(Duration.ofSeconds(startupTimeoutSeconds));
        if (format.equals("json")) {
            out.println(summaryJson(cluster, members));
        } else {
            printSummary(out, cluster, members);
        }
        out.flush();
        stopped.await();
        return 0;
    }

    private static void printSummary(PrintWriter out, LocalCluster cluster, List<LocalCluster.Member> members) {
        String addresses = masterAddresses(cluster);
        out.println("Basalt local cluster serving from " + cluster.dir());
        for (LocalCluster.Member member : members) {
            out.printf("  %-10s %-21s uuid %s  pid %d%s%n", member.name(), member.info().rpcAddress(),
                    member.info().uuid(), member.info().pid(),
                    member.info().webAddress() == null ? "" : "  web http://" + member.info().webAddress());
        }
        out.println("Master addresses: " + addresses);
        List<String> webUis = members.stream().filter(m -> m.info().webAddress() != null)
                .map(m -> m.name() + " http://" + m.info().webAddress()).toList();
        if (!webUis.isEmpty()) {
            out.println("Web UIs: " + String.join(", ", webUis));
        }
        out.println("Processes: " + cluster.dir().resolve(LocalCluster.CLUSTER_JSON) + "; logs: "
                + cluster.dir().resolve("<name>.log"));
        out.println("Try: bin/basalt master list -m " + addresses);
        out.println("Ctrl-C stops the cluster; running this again on the same --data brings it back.");
    }

    private static String summaryJson(LocalCluster cluster, List<LocalCluster.Member> members) {
        return "{\"data_dir\": " + LocalCluster.quote(cluster.dir().toString())
                + ", \"master_addresses\": " + LocalCluster.quote(masterAddresses(cluster))
                + ", \"processes\": " + LocalCluster.toJson(members).replace("\n", "") + "}";
    }

    private static String masterAddresses(LocalCluster cluster) {
        return String.join(",", cluster.masterAddresses().stream().map(HostPort::toString).toList());
    }
}
