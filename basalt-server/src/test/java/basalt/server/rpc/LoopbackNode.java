package basalt.server.rpc;

import basalt.consensus.driver.KeyValueStateMachine;

import basalt.common.net.HostPort;
import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.RaftConfig;
import basalt.consensus.driver.DriverPool;
import basalt.consensus.driver.GroupDriver;
import basalt.consensus.driver.GroupOptions;
import basalt.consensus.wal.WalOptions;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One server of a loopback test cluster: its own peer directory, faults, registry, transport and gRPC
 * server on 127.0.0.1, hosting one replica of one group. {@link #stop} and {@link #start} model a
 * process restart that keeps its disk (the directory and the state machine's {@link KeyValueStateMachine.Disk}).
 */
final class LoopbackNode {
    final NodeId id;
    final Path dir;
    final PeerDirectory peers = new PeerDirectory();
    final NetworkFaults faults = new NetworkFaults();
    final KeyValueStateMachine.Disk disk = new KeyValueStateMachine.Disk();
    private final TransportOptions options;
    GroupRegistry registry;
    GrpcConsensusTransport transport;
    ConsensusServiceImpl service;
    ConsensusRpcServer server;
    GroupDriver driver;
    KeyValueStateMachine stateMachine;
    int port;

    LoopbackNode(NodeId id, Path dir, TransportOptions options) {
        this.id = id;
        this.dir = dir;
        this.options = options;
    }

    /** Starts transport and server; port 0 picks a free port, otherwise binds the same one again. */
    void startServer(int bindPort) throws IOException {
        registry = new GroupRegistry();
        transport = new GrpcConsensusTransport(id, peers, faults, options);
        service = new ConsensusServiceImpl(id, registry, peers, faults);
        server = ConsensusRpcServer.start(new HostPort("127.0.0.1", bindPort), options, service,
                new FaultInjectionServiceImpl(faults));
        port = server.port();
    }

    HostPort address() {
        return new HostPort("127.0.0.1", port);
    }

    void openGroup(String groupId, Membership membership, DriverPool pool, WalOptions wal, long logCacheBytes)
            throws IOException {
        stateMachine = new KeyValueStateMachine(disk);
        GroupOptions groupOptions = GroupOptions.defaults(groupId, id, dir, membership)
                .withRaft(RaftConfig.DEFAULT.withElectionTimeoutTicks(10))
                .withWal(wal).withLogCacheBytesMax(logCacheBytes).withGcEveryTicks(5);
        driver = GroupDriver.open(groupOptions, stateMachine, transport.transportFor(groupId), pool);
        registry.register(driver);
    }

    /** Stops the group, the server and the transport, as a process exit would (no state machine flush). */
    void stop() {
        if (driver != null) {
            registry.unregister(driver);
            driver.close();
            driver = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
        if (transport != null) {
            transport.close();
            transport = null;
        }
    }
}
