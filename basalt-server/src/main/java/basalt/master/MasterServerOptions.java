package basalt.master;

import basalt.common.check.Check;
import basalt.common.net.HostPort;
import basalt.consensus.core.RaftConfig;
import basalt.server.rpc.TransportOptions;
import basalt.tserver.TabletServerOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a master is started with.
 *
 * @param masterAddresses every master's address, this one's included; the order does not matter
 * @param webserverPort the web UI port, 0 to let the OS choose, -1 for none ({@code --webserver_port})
 * @param tserverUnresponsiveMs a tablet server silent this long counts as dead
 * @param ddlTaskIntervalMs how often the leader drives tablet creation and deletion on tablet servers
 * @param tserverDeadMs a tablet server silent this long has its replicas replaced elsewhere
 */
public record MasterServerOptions(Path walDir, Path dataDir, HostPort rpcBind, List<HostPort> masterAddresses,
                                  int webserverPort, long tickMs, RaftConfig raft, int workerThreads,
                                  TransportOptions transport, long flushIntervalMs, long tserverUnresponsiveMs,
                                  long ddlTaskIntervalMs, long tserverDeadMs) {
    public MasterServerOptions {
        masterAddresses = List.copyOf(masterAddresses);
        Check.arg(!masterAddresses.isEmpty(), "at least one master address is needed");
        Check.arg(masterAddresses.contains(rpcBind), "this master's address %s is not in --master_addresses %s",
                rpcBind, masterAddresses);
        Check.arg(rpcBind.port() != 0, "a master needs a fixed port: its address is its place in the master list");
    }

    public static MasterServerOptions defaults(Path walDir, Path dataDir, HostPort rpcBind, List<HostPort> masterAddresses) {
        return new MasterServerOptions(walDir, dataDir, rpcBind, masterAddresses, -1,
                TabletServerOptions.DEFAULT_TICK_MS, TabletServerOptions.DEFAULT_RAFT,
                Math.max(2, Runtime.getRuntime().availableProcessors()), TransportOptions.DEFAULTS, 1_000, 3_000, 100, 30_000);
    }

    public MasterServerOptions withWebserverPort(int port) {
        return new MasterServerOptions(walDir, dataDir, rpcBind, masterAddresses, port, tickMs, raft,
                workerThreads, transport, flushIntervalMs, tserverUnresponsiveMs, ddlTaskIntervalMs, tserverDeadMs);
    }

    public MasterServerOptions withTserverDeadMs(long ms) {
        return new MasterServerOptions(walDir, dataDir, rpcBind, masterAddresses, webserverPort, tickMs, raft,
                workerThreads, transport, flushIntervalMs, tserverUnresponsiveMs, ddlTaskIntervalMs, ms);
    }
}
