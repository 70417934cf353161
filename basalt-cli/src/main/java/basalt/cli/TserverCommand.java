package basalt.cli;

import basalt.common.net.HostPort;
import basalt.tserver.TabletServer;
import basalt.tserver.TabletServerOptions;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code basalt tserver}: runs one tablet server until SIGTERM or Ctrl-C, then stops it cleanly and
 * exits 0 (the mini cluster and local-cluster tell a clean stop from a crash by the exit code).
 */
@Command(name = "tserver", mixinStandardHelpOptions = true,
        description = "Run a tablet server: hosts tablet replicas, each a Raft group, and serves them over gRPC.",
        subcommands = {TserverAdminCommands.ListCommand.class})
final class TserverCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--fs_wal_dir", description = "Directory of every tablet's WAL and consensus metadata.")
    Path walDir;

    @Option(names = "--fs_data_dir", description = "Directory of the tablet store and the server's identity.")
    Path dataDir;

    @Option(names = "--rpc_bind", defaultValue = "127.0.0.1:0", description = "host:port to listen on; port 0 lets the OS choose (default ${DEFAULT-VALUE}).")
    String rpcBind;

    @Option(names = "--webserver_port", defaultValue = "-1", description = "Web UI port on the --rpc_bind host; 0 lets the OS choose, -1 (default) serves none.")
    int webserverPort;

    @Option(names = "--master_addresses", description = "Masters to heartbeat to, host:port,host:port,...; one current master is enough, the rest are learned (none: no heartbeats).")
    String masterAddresses;

    @Option(names = "--heartbeat_interval_ms", defaultValue = "250", description = "How often every master gets a heartbeat (default ${DEFAULT-VALUE}).")
    long heartbeatIntervalMs;

    @Option(names = "--flush_interval_ms", defaultValue = "5000", description = "How often the tablet store flushes, which lets WAL segments be deleted (default ${DEFAULT-VALUE}).")
    long flushIntervalMs;

    @Option(names = "--wal_segment_bytes", defaultValue = "67108864", description = "WAL segment size (default ${DEFAULT-VALUE}).")
    long walSegmentBytes;

    @Option(names = "--replay_client_ttl_ms", defaultValue = "3600000", description = "How long a tablet keeps the write outcomes of a client that stopped writing, for its retries; 0 keeps them until the tablet is deleted (default ${DEFAULT-VALUE}).")
    long replayClientTtlMs;

    @Override
    public Integer call() throws Exception {
        if (walDir == null || dataDir == null) {
            // Required only for running a server; `tserver list` takes its own flags.
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "running a tablet server needs --fs_wal_dir and --fs_data_dir");
        }
        TabletServerOptions options = TabletServerOptions.defaults(walDir, dataDir, HostPort.parse(rpcBind))
                .withWebserverPort(webserverPort).withFlushIntervalMs(flushIntervalMs)
                .withWalSegmentBytes(walSegmentBytes)
                .withMasterAddresses(MasterAddresses.parse(masterAddresses))
                .withHeartbeatIntervalMs(heartbeatIntervalMs);
        options = options.withTablet(options.tablet().withReplayClientTtlMs(replayClientTtlMs));
        Logging.toFileAndRing(dataDir, "tserver");
        TabletServer server = TabletServer.start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable stop = () -> {
            server.close();
            stopped.countDown();
        };
        Signals.onTerminate(stop);
        stopped.await();
        return 0;
    }
}
