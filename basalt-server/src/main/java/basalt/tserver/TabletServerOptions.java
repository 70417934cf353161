package basalt.tserver;

import basalt.common.check.Check;
import basalt.common.net.HostPort;
import basalt.consensus.core.RaftConfig;
import basalt.server.rpc.TransportOptions;
import basalt.tablet.TabletOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a tablet server is started with. Timing defaults aim at sub-second failover: a tick of
 * 25 ms, heartbeats every 2 ticks (50 ms), an election timeout of 12 ticks (300 ms) plus a per-voter
 * offset and jitter (see RaftCore), so a dead leader is replaced in well under a second.
 *
 * @param walDir root of every tablet's WAL and consensus metadata ({@code --fs_wal_dir})
 * @param dataDir the RocksDB store, the server identity and server-info ({@code --fs_data_dir})
 * @param rpcBind where to listen; port 0 lets the OS choose ({@code --rpc_bind})
 * @param webserverPort the web UI port, 0 to pick one, -1 for none ({@code --webserver_port})
 * @param flushIntervalMs how often the store flushes memtables, which advances every tablet's durable
 *     point and so lets WAL segments below it be deleted
 * @param masterAddresses the masters to heartbeat to ({@code --master_addresses}); empty: no masters, no
 *     heartbeats. The set learned from the masters later is kept in {@code <fs_data_dir>/masters}.
 * @param heartbeatIntervalMs how often every master gets a heartbeat ({@code --heartbeat_interval_ms})
 */
public record TabletServerOptions(Path walDir, Path dataDir, HostPort rpcBind, int webserverPort, long tickMs,
                                  RaftConfig raft, int workerThreads, long logCacheBytesMax, long walSegmentBytes,
                                  TransportOptions transport, TabletOptions tablet, long flushIntervalMs,
                                  List<HostPort> masterAddresses, long heartbeatIntervalMs) {
    public static final long DEFAULT_TICK_MS = 25;
    public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 250;
    public static final RaftConfig DEFAULT_RAFT = new RaftConfig(12, 2, 1 << 20, 64, true, true);

    public TabletServerOptions {
        Check.arg(walDir != null && dataDir != null && rpcBind != null, "directories and bind address are required");
        Check.arg(tickMs >= 1, "tick %s ms must be >= 1", tickMs);
        Check.arg(workerThreads >= 1, "workerThreads %s must be >= 1", workerThreads);
        Check.arg(flushIntervalMs >= 10, "flushIntervalMs %s must be >= 10", flushIntervalMs);
        Check.arg(masterAddresses != null, "masterAddresses must not be null (empty: no masters)");
        masterAddresses = List.copyOf(masterAddresses);
        Check.arg(heartbeatIntervalMs >= 1, "heartbeatIntervalMs %s must be >= 1", heartbeatIntervalMs);
    }

    public static TabletServerOptions defaults(Path walDir, Path dataDir, HostPort rpcBind) {
        return new TabletServerOptions(walDir, dataDir, rpcBind, -1, DEFAULT_TICK_MS, DEFAULT_RAFT,
                Math.max(2, Runtime.getRuntime().availableProcessors()), 64L << 20, 64L << 20,
                TransportOptions.DEFAULTS, TabletOptions.DEFAULT, 5_000, List.of(), DEFAULT_HEARTBEAT_INTERVAL_MS);
    }

    public TabletServerOptions withWalSegmentBytes(long bytes) {
        return new TabletServerOptions(walDir, dataDir, rpcBind, webserverPort, tickMs, raft, workerThreads,
                logCacheBytesMax, bytes, transport, tablet, flushIntervalMs, masterAddresses, heartbeatIntervalMs);
    }

    public TabletServerOptions withFlushIntervalMs(long ms) {
        return new TabletServerOptions(walDir, dataDir, rpcBind, webserverPort, tickMs, raft, workerThreads,
                logCacheBytesMax, walSegmentBytes, transport, tablet, ms, masterAddresses, heartbeatIntervalMs);
    }

    public TabletServerOptions withWebserverPort(int port) {
        return new TabletServerOptions(walDir, dataDir, rpcBind, port, tickMs, raft, workerThreads,
                logCacheBytesMax, walSegmentBytes, transport, tablet, flushIntervalMs, masterAddresses,
                heartbeatIntervalMs);
    }

    public TabletServerOptions withMasterAddresses(List<HostPort> addresses) {
        return new TabletServerOptions(walDir, dataDir, rpcBind, webserverPort, tickMs, raft, workerThreads,
                logCacheBytesMax, walSegmentBytes, transport, tablet, flushIntervalMs, addresses, heartbeatIntervalMs);
    }

    public TabletServerOptions withHeartbeatIntervalMs(long ms) {
        return new TabletServerOptions(walDir, dataDir, rpcBind, webserverPort, tickMs, raft, workerThreads,
                logCacheBytesMax, walSegmentBytes, transport, tablet, flushIntervalMs, masterAddresses, ms);
    }

    public TabletServerOptions withTablet(TabletOptions options) {
        return new TabletServerOptions(walDir, dataDir, rpcBind, webserverPort, tickMs, raft, workerThreads,
                logCacheBytesMax, walSegmentBytes, transport, options, flushIntervalMs, masterAddresses,
                heartbeatIntervalMs);
    }
}
