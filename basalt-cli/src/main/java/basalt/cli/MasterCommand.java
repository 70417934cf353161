package basalt.cli;

import basalt.common.net.HostPort;
import basalt.master.MasterServer;
import basalt.master.MasterServerOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code basalt master}: runs one master (a replica of the catalog) until SIGTERM or Ctrl-C, then stops it
 * cleanly and exits 0, as {@link TserverCommand} does. A master's address is its identity in the master
 * list, so {@code --rpc_bind} is required and must be one of {@code --master_addresses} (no port 0).
 */
@Command(name = "master", mixinStandardHelpOptions = true,
        description = "Run a master: a replica of the catalog, which tablet servers heartbeat to.",
        subcommands = {MasterAdminCommands.ListCommand.class, MasterAdminCommands.AddCommand.class,
                MasterAdminCommands.RemoveCommand.class})
final class MasterCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--master_addresses", description = "Every master, this one included: host:port,host:port,...")
    String masterAddresses;

    @Option(names = "--fs_wal_dir", description = "Directory of the catalog's WAL and consensus metadata.")
    Path walDir;

    @Option(names = "--fs_data_dir", description = "Directory of the catalog data and the master's identity.")
    Path dataDir;

    @Option(names = "--rpc_bind", description = "host:port to listen on; must be one of --master_addresses.")
    String rpcBind;

    @Option(names = "--webserver_port", defaultValue = "-1", description = "Web UI port on the --rpc_bind host; 0 lets the OS choose, -1 (default) serves none.")
    int webserverPort;

    @Option(names = "--tserver_dead_ms", defaultValue = "30000",
            description = "A tablet server silent this long has its replicas replaced elsewhere (default ${DEFAULT-VALUE}).")
    long tserverDeadMs;

    @Override
    public Integer call() throws Exception {
        if (masterAddresses == null || walDir == null || dataDir == null || rpcBind == null) {
            // Required only for running a master; the list/add/remove subcommands take their own flags.
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "running a master needs --master_addresses, --fs_wal_dir, --fs_data_dir and --rpc_bind");
        }
        List<HostPort> masters;
        HostPort bind;
        try {
            masters = MasterAddresses.parse(masterAddresses);
            bind = HostPort.parse(rpcBind);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (masters.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--master_addresses lists no master");
        }
        if (!masters.contains(bind)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rpc_bind " + bind
                    + " is not one of --master_addresses " + masters + " (a master's address is its identity)");
        }
        Logging.toFileAndRing(dataDir, "master");
        MasterServer server = MasterServer.start(MasterServerOptions.defaults(walDir, dataDir, bind, masters)
                .withTserverDeadMs(tserverDeadMs).withWebserverPort(webserverPort));
        CountDownLatch stopped = new CountDownLatch(1);
        Signals.onTerminate(() -> {
            server.close();
            stopped.countDown();
        });
        stopped.await();
        return 0;
    }
}
