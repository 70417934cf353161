package basalt.tserver;

import basalt.common.net.HostPort;
import basalt.common.server.ServerInfo;
import basalt.common.server.ServerInfoFile;
import basalt.common.time.Clock;
import basalt.common.time.HybridClock;
import basalt.consensus.core.NodeId;
import basalt.consensus.driver.DriverPool;
import basalt.proto.HostPortPB;
import basalt.proto.PeerPB;
import basalt.server.rpc.ConsensusRpcServer;
import basalt.server.rpc.ConsensusServiceImpl;
import basalt.server.rpc.FaultInjectionServiceImpl;
import basalt.server.rpc.GroupRegistry;
import basalt.server.rpc.GrpcConsensusTransport;
import basalt.server.rpc.NetworkFaults;
import basalt.server.rpc.PeerDirectory;
import basalt.server.rpc.TabletServerServiceImpl;
import basalt.tablet.TabletStore;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tablet server process: hosts many tablet replicas, each a Raft group, in one RocksDB store, and
 * serves them over gRPC. Start-up is bootstrap: load the identity, open the store, open every tablet
 * and replay its WAL beyond the store's durable point, then listen, then announce readiness by writing
 * {@code server-info} (the contract the mini cluster and operators rely on).
 */
public final class TabletServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TabletServer.class);

    private final TabletServerOptions options;
    private final NodeId self;
    private final TabletStore store;
    private final DriverPool pool;
    private final PeerDirectory peers;
    private final PeerFile peerFile;
    private final GrpcConsensusTransport transport;
    private final GroupRegistry registry = new GroupRegistry();
    private final TabletManager tablets;
    private final ConsensusRpcServer server;
    private final ScheduledExecutorService flusher;
    // Present when the server was given masters; started once this server serves.
    private final Optional<Heartbeater> heartbeater;
    private final basalt.server.metrics.MetricRegistry metrics = new basalt.server.metrics.MetricRegistry();
    /** The web UI, when {@code --webserver_port} is not -1. */
    private final basalt.server.web.WebServer web;

    private TabletServer(TabletServerOptions options) throws IOException {
        this.options = options;
        Files.createDirectories(options.dataDir());
        Files.createDirectories(options.walDir());
        this.self = NodeId.of(ServerIdentity.loadOrCreate(options.dataDir()));
        this.store = TabletStore.open(options.dataDir().resolve("store"));
        this.pool = new DriverPool(options.workerThreads(), options.tickMs());
        pool.setWalListener(new basalt.server.metrics.WalMetrics(metrics));
        this.peers = new PeerDirectory();
        this.peerFile = new PeerFile(options.dataDir().resolve("peers"));
        peerFile.loadInto(peers);
        peers.addListener((peer, address) -> peerFile.save(peers));
        NetworkFaults faults = new NetworkFaults();
        this.transport = new GrpcConsensusTransport(self, peers, faults, options.transport());
        this.tablets = new TabletManager(self, options, store, new HybridClock(Clock.SYSTEM), pool, transport,
                registry, peers);
        tablets.openAll();
        MasterTermGuard masterTerms = new MasterTermGuard(options.dataDir());
        ConsensusServiceImpl consensus = new ConsensusServiceImpl(self, registry, peers, faults);
        FaultInjectionServiceImpl faultService = new FaultInjectionServiceImpl(faults);
        // Our address is known only once bound; the tablet service reads it when asked.
        java.util.concurrent.atomic.AtomicReference<HostPort> bound = new java.util.concurrent.atomic.AtomicReference<>();
        TabletServerServiceImpl tabletService = new TabletServerServiceImpl(self, bound::get, tablets, peers, masterTerms, metrics);
        this.server = ConsensusRpcServer.start(options.rpcBind(), options.transport(),
                List.of(consensus, faultService, tabletService),
                List.of(new basalt.server.rpc.RpcMetricsInterceptor(metrics)));
        HostPort address = server.address();
        bound.set(address);
        PeerPB selfPeer = PeerPB.newBuilder().setUuid(self.value())
                .setAddress(HostPortPB.newBuilder().setHost(address.host()).setPort(address.port())).build();
        this.flusher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "store-flusher");
            thread.setDaemon(true);
            return thread;
        });
        flusher.scheduleWithFixedDelay(this::flushQuietly, options.flushIntervalMs(), options.flushIntervalMs(),
                TimeUnit.MILLISECONDS);
        // Heartbeats start once the server serves: a master that hears of a replica may call back at once.
        this.heartbeater = options.masterAddresses().isEmpty() ? Optional.empty()
                : Optional.of(new Heartbeater(selfPeer, () -> TabletServerServiceImpl.tabletReports(tablets),
                        options.masterAddresses(), options.dataDir(), options.heartbeatIntervalMs()));
        heartbeater.ifPresent(Heartbeater::start);
        // A replica that becomes leader is reported at once: the master waits on it to call a table usable.
        heartbeater.ifPresent(beats -> tablets.onLeaderReady(beats::heartbeatNow));
        basalt.server.metrics.RaftMetrics.register(metrics,
                () -> tablets.all().stream().map(TabletReplica::driver).toList());
        metrics.gaugeCallback("basalt_tserver_tablets", "Tablet replicas hosted by this tablet server.", List.of(),
                values -> values.report(tablets.all().size()));
        this.web = options.webserverPort() < 0 ? null : TabletServerWebPages.create("tablet server " + self + " ("
                + address + ")", metrics, tablets, options).start(address.host(), options.webserverPort());
        ServerInfoFile.write(options.dataDir(), new ServerInfo(self.value(), address,
                web == null ? null : web.address(), ProcessHandle.current().pid()));
        LOG.info("tablet server {} serving on {} with {} tablets; masters {}", self, address, tablets.all().size(),
                heartbeater.map(Heartbeater::masters).orElse(List.of()));
    }

    public static TabletServer start(TabletServerOptions options) throws IOException {
        return new TabletServer(options);
    }

    private void flushQuietly() {
        try {
            store.flush();
        } catch (RuntimeException e) {
            LOG.error("flushing the tablet store failed", e);
        }
    }

    public NodeId uuid() {
        return self;
    }

    public HostPort address() {
        return server.address();
    }

    /** The web UI's address, when it serves one. */
    public Optional<HostPort> webAddress() {
        return Optional.ofNullable(web).map(basalt.server.web.WebServer::address);
    }

    public basalt.server.metrics.MetricRegistry metrics() {
        return metrics;
    }

    public TabletManager tablets() {
        return tablets;
    }

    /** The heartbeater, when the server was given masters. */
    public Optional<Heartbeater> heartbeater() {
        return heartbeater;
    }

    public GrpcConsensusTransport transport() {
        return transport;
    }

    /** Stops serving, closes every group, flushes and closes the store. */
    @Override
    public void close() {
        LOG.info("tablet server {} stopping", self);
        heartbeater.ifPresent(Heartbeater::close);
        if (web != null) {
            web.close();
        }
        server.close();
        flusher.shutdownNow();
        tablets.close();
        transport.close();
        pool.close();
        store.close();
    }
}
