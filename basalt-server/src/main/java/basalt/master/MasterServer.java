package basalt.master;

import basalt.common.net.HostPort;
import basalt.common.server.ServerInfo;
import basalt.common.server.ServerInfoFile;
import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import basalt.consensus.driver.DriverPool;
import basalt.consensus.driver.GroupDriver;
import basalt.consensus.driver.GroupOptions;
import basalt.consensus.meta.ConsensusMetadata;
import basalt.consensus.meta.ConsensusMetadataFile;
import basalt.consensus.wal.WalOptions;
import basalt.master.catalog.CatalogStateMachine;
import basalt.proto.HostPortPB;
import basalt.proto.PeerPB;
import basalt.proto.ServerStatusRequestPB;
import basalt.proto.ServerStatusResponsePB;
import basalt.proto.TabletServerServiceGrpc;
import basalt.server.rpc.ConsensusRpcServer;
import basalt.server.rpc.ConsensusServiceImpl;
import basalt.server.rpc.FaultInjectionServiceImpl;
import basalt.server.rpc.GroupRegistry;
import basalt.server.rpc.GrpcConsensusTransport;
import basalt.server.rpc.NetworkFaults;
import basalt.server.rpc.PeerDirectory;
import basalt.tserver.ServerIdentity;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A master: a server hosting exactly one tablet, the catalog, replicated by Raft over every master.
 *
 * <p>First start: it serves GetStatus at once, asks every other address in {@code --master_addresses}
 * for its uuid (all masters do the same, so they learn each other before any election), and creates the
 * catalog group with every master as a voter; the order of the addresses does not matter. It keeps the
 * address list and the peers' uuids in its data dir. A restart with a different address list is refused
 * with a message naming both, rather than joining a group that is not the one on disk.
 */
public final class MasterServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MasterServer.class);
    public static final String CATALOG_GROUP = "catalog";
    private static final long DISCOVERY_DEADLINE_MS = 120_000;

    private final MasterServerOptions options;
    private final NodeId self;
    private final DriverPool pool;
    private final PeerDirectory peers = new PeerDirectory();
    private final GrpcConsensusTransport transport;
    private final GroupRegistry registry = new GroupRegistry();
    private final ConsensusRpcServer server;
    private final GroupDriver catalogGroup;
    private final CatalogStateMachine catalog;
    private final CatalogManager catalogManager;
    private final ScheduledExecutorService background;
    private final basalt.server.metrics.MetricRegistry metrics = new basalt.server.metrics.MetricRegistry();
    /** The web UI, when {@code --webserver_port} is not -1. */
    private final basalt.server.web.WebServer web;
    /** Whether an extra task round is queued on {@link #background} and has not started. */
    private final java.util.concurrent.atomic.AtomicBoolean taskRoundQueued = new java.util.concurrent.atomic.AtomicBoolean();

    private MasterServer(MasterServerOptions options) throws IOException {
        this.options = options;
        Files.createDirectories(options.dataDir());
        Files.createDirectories(options.walDir());
        this.self = NodeId.of(ServerIdentity.loadOrCreate(options.dataDir()));
        NetworkFaults faults = new NetworkFaults();
        this.transport = new GrpcConsensusTransport(self, peers, faults, options.transport());
        this.pool = new DriverPool(options.workerThreads(), options.tickMs());
        pool.setWalListener(new basalt.server.metrics.WalMetrics(metrics));
        java.util.concurrent.atomic.AtomicReference<HostPort> webAddress = new java.util.concurrent.atomic.AtomicReference<>();
        DeferredMasterService masterService = new DeferredMasterService();
        PeerPB selfPeer = PeerPB.newBuilder().setUuid(self.value()).setAddress(HostPortPB.newBuilder()
                .setHost(options.rpcBind().host()).setPort(options.rpcBind().port())).build();
        this.server = ConsensusRpcServer.start(options.rpcBind(), options.transport(), List.of(
                new ConsensusServiceImpl(self, registry, peers, faults), new FaultInjectionServiceImpl(faults),
                new StatusService(selfPeer, webAddress::get), masterService),
                List.of(new basalt.server.rpc.RpcMetricsInterceptor(metrics)));

        Path groupDir = options.walDir().resolve(CATALOG_GROUP);
        Membership membership = openOrDiscover(groupDir);
        this.catalog = CatalogStateMachine.open(options.dataDir().resolve("catalog"));
        catalog.onAddressBookChange(this::adoptAddressBook);
        GroupOptions groupOptions = new GroupOptions(CATALOG_GROUP, self, groupDir, membership, options.raft(),
                WalOptions.defaults(), 64L << 20, Math.max(1, (int) (1000 / options.tickMs())), 10_000,
                self.value().hashCode() * 0x9E3779B97F4A7C15L ^ System.nanoTime());
        this.catalogGroup = GroupDriver.open(groupOptions, catalog, transport.transportFor(CATALOG_GROUP), pool);
        registry.register(catalogGroup);
        TabletServerRegistry tabletServers = new TabletServerRegistry();
        this.catalogManager = new CatalogManager(self, catalogGroup, catalog, tabletServers, peers, options);
        MasterServiceImpl masterServiceImpl = new MasterServiceImpl(self, options.rpcBind(), catalogGroup,
                catalogManager, tabletServers, peers, options);
        masterService.delegate = masterServiceImpl;
        MasterMetrics.register(metrics, catalogGroup, catalog, catalogManager);

        this.background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "master-background");
            thread.setDaemon(true);
            return thread;
        });
        background.scheduleWithFixedDelay(this::flushQuietly, options.flushIntervalMs(), options.flushIntervalMs(),
                TimeUnit.MILLISECONDS);
        background.scheduleWithFixedDelay(this::runTasksQuietly, options.ddlTaskIntervalMs(),
                options.ddlTaskIntervalMs(), TimeUnit.MILLISECONDS);
        catalogManager.onTaskRoundWanted(this::runTasksSoon);
        this.web = options.webserverPort() < 0 ? null : MasterWebPages.create("master " + self + " (" + options.rpcBind()
                + ")", metrics, masterServiceImpl, catalogGroup, options).start(options.rpcBind().host(),
                options.webserverPort());
        webAddress.set(web == null ? null : web.address());
        ServerInfoFile.write(options.dataDir(), new ServerInfo(self.value(), options.rpcBind(), webAddress.get(),
                ProcessHandle.current().pid()));
        LOG.info("master {} serving on {}; catalog membership {}", self, options.rpcBind(), membership);
    }

    public static MasterServer start(MasterServerOptions options) throws IOException {
        return new MasterServer(options);
    }

    /**
     * Opens the catalog group's metadata, checking the address list against the one on disk, or, on first
     * start, learns every master's uuid and creates the group with all of them as voters.
     */
    private Membership openOrDiscover(Path groupDir) throws IOException {
        Path addressesFile = options.dataDir().resolve("master-addresses");
        Path peersFile = options.dataDir().resolve("master-peers");
        TreeSet<String> given = new TreeSet<>();
        options.masterAddresses().forEach(address -> given.add(address.toString()));
        Path metadataFile = groupDir.resolve("consensus-meta");
        if (Files.exists(metadataFile)) {
            TreeSet<String> persisted = new TreeSet<>(Files.readAllLines(addressesFile, StandardCharsets.UTF_8));
            persisted.remove("");
            if (!persisted.equals(given)) {
                throw new IOException("--master_addresses " + given + " disagrees with the master addresses this master"
                        + " was created with " + persisted + " (" + addressesFile + "); refusing to start");
            }
            for (String line : Files.readAllLines(peersFile, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    String[] parts = line.trim().split(" ");
                    peers.put(NodeId.of(parts[0]), HostPort.parse(parts[1]));
                }
            }
            return ConsensusMetadataFile.load(metadataFile).committedMembership();
        }
        Map<NodeId, HostPort> discovered = discoverPeers();
        Optional<Map<NodeId, HostPort>> existingGroup = existingGroupWithoutMe(discovered);
        Membership membership;
        if (existingGroup.isPresent()) {
            // The others already run a catalog group we are not in: join it empty, as a replica the leader
            // adds as a learner (`basalt master add`), copies the catalog to, and promotes once caught up.
            discovered = existingGroup.get();
            membership = Membership.ofVoters(List.of());
            LOG.info("joining the existing masters {} as a new, empty master", discovered.values());
        } else {
            List<NodeId> voters = new ArrayList<>(discovered.keySet());
            voters.add(self);
            membership = Membership.ofVoters(voters);
        }
        List<String> peerLines = new ArrayList<>();
        Map<NodeId, HostPort> known = discovered;
        known.forEach((uuid, address) -> {
            peers.put(uuid, address);
            peerLines.add(uuid.value() + " " + address);
        });
        writeAtomically(peersFile, peerLines);
        writeAtomically(addressesFile, new ArrayList<>(given));
        Files.createDirectories(groupDir);
        ConsensusMetadataFile.create(metadataFile, ConsensusMetadata.initial(membership));
        return membership;
    }

    /**
     * A committed address book of the masters: peers to talk to, and what this master checks
     * {@code --master_addresses} against on its next start (the persisted configuration).
     */
    private void adoptAddressBook(Map<String, PeerPB> book) {
        List<String> peerLines = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (PeerPB master : book.values()) {
            HostPort address = new HostPort(master.getAddress().getHost(), master.getAddress().getPort());
            addresses.add(address.toString());
            if (!master.getUuid().equals(self.value())) {
                peers.put(NodeId.of(master.getUuid()), address);
                peerLines.add(master.getUuid() + " " + address);
            }
        }
        for (NodeId known : peers.snapshot().keySet()) {
            if (!book.containsKey(known.value())) {
                peers.remove(known);
            }
        }
        try {
            writeAtomically(options.dataDir().resolve("master-peers"), peerLines);
            writeAtomically(options.dataDir().resolve("master-addresses"), addresses);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("saving the master address book", e);
        }
        LOG.info("master address book: {}", addresses);
    }

    private Map<NodeId, HostPort> discoverPeers() throws IOException {
        Map<NodeId, HostPort> found = new TreeMap<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DISCOVERY_DEADLINE_MS);
        for (HostPort address : options.masterAddresses()) {
            if (address.equals(options.rpcBind())) {
                continue;
            }
            ManagedChannel channel = NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext().build();
            try {
                // Bounded by the discovery deadline.
                while (true) {
                    try {
                        ServerStatusResponsePB status = TabletServerServiceGrpc.newBlockingStub(channel)
                                .withDeadlineAfter(1, TimeUnit.SECONDS).getStatus(ServerStatusRequestPB.getDefaultInstance());
                        if (!status.getKind().equals("master")) {
                            throw new IOException(address + " in --master_addresses is a " + status.getKind() + ", not a master");
                        }
                        found.put(NodeId.of(status.getSelf().getUuid()), address);
                        LOG.info("master at {} is {}", address, status.getSelf().getUuid());
                        break;
                    } catch (io.grpc.StatusRuntimeException notYet) {
                        if (System.nanoTime() > deadline) {
                            throw new IOException("master " + address + " did not answer within " + DISCOVERY_DEADLINE_MS
                                    + " ms; every master must be started to create the catalog", notYet);
                        }
                        awaitRetry();
                    }
                }
            } finally {
                channel.shutdownNow();
            }
        }
        return found;
    }

    /**
     * Whether the other masters already run a catalog group that does not include this master (it is
     * being added to a running cluster); then the members and their addresses, as the group reports them.
     */
    private Optional<Map<NodeId, HostPort>> existingGroupWithoutMe(Map<NodeId, HostPort> discovered) {
        for (HostPort address : discovered.values()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext().build();
            try {
                basalt.proto.ListMastersResponsePB masters = basalt.proto.MasterServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(2, TimeUnit.SECONDS).listMasters(basalt.proto.ListMastersRequestPB.getDefaultInstance());
                if (masters.getMastersCount() == 0) {
                    continue;
                }
                boolean includesMe = masters.getMastersList().stream().anyMatch(m -> m.getUuid().equals(self.value()));
                if (includesMe) {
                    return Optional.empty();
                }
                Map<NodeId, HostPort> members = new TreeMap<>();
                for (basalt.proto.MasterEntryPB master : masters.getMastersList()) {
                    members.put(NodeId.of(master.getUuid()),
                            new HostPort(master.getRpcAddress().getHost(), master.getRpcAddress().getPort()));
                }
                return Optional.of(members);
            } catch (io.grpc.StatusRuntimeException notOpenYet) {
                // still starting (a cluster being created): it cannot be a group we are left out of
            } finally {
                channel.shutdownNow();
            }
        }
        return Optional.empty();
    }

    private static void awaitRetry() throws IOException {
        try {
            TimeUnit.MILLISECONDS.sleep(100); // discovery retry interval, bounded by its deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while discovering masters", e);
        }
    }

    private static void writeAtomically(Path file, List<String> lines) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(temp, lines, StandardCharsets.UTF_8);
        try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void flushQuietly() {
        try {
            catalog.flushIfDue(System.nanoTime());
        } catch (RuntimeException e) {
            LOG.error("flushing the catalog failed", e);
        }
    }

    /**
     * Runs one extra task round on the task thread, unless one is already queued: requests coalesce, so a
     * burst of heartbeats or creates costs one round, and rounds never run concurrently.
     */
    private void runTasksSoon() {
        if (taskRoundQueued.compareAndSet(false, true)) {
            try {
                background.execute(() -> {
                    taskRoundQueued.set(false);
                    runTasksQuietly();
                });
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                taskRoundQueued.set(false); // closing: no more rounds
            }
        }
    }

    private void runTasksQuietly() {
        try {
            catalogManager.runTasks();
        } catch (RuntimeException e) {
            LOG.warn("a DDL task round failed; the next round retries", e);
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

    public GroupDriver.Status catalogStatus() {
        return catalogGroup.status();
    }

    @Override
    public void close() {
        LOG.info("master {} stopping", self);
        background.shutdownNow();
        if (web != null) {
            web.close();
        }
        server.close();
        catalogManager.close();
        registry.unregister(catalogGroup);
        catalogGroup.close();
        transport.close();
        pool.close();
        catalog.flush();
    }

    /** Answers GetStatus (kind "master"), the readiness probe every Basalt server answers. */
    private static final class StatusService extends TabletServerServiceGrpc.TabletServerServiceImplBase {
        private final PeerPB self;
        private final java.util.function.Supplier<HostPort> webAddress;

        StatusService(PeerPB self, java.util.function.Supplier<HostPort> webAddress) {
            this.self = self;
            this.webAddress = webAddress;
        }

        @Override
        public void getStatus(ServerStatusRequestPB request, StreamObserver<ServerStatusResponsePB> response) {
            ServerStatusResponsePB.Builder status = ServerStatusResponsePB.newBuilder().setSelf(self).setKind("master")
                    .setPid(ProcessHandle.current().pid());
            HostPort web = webAddress.get();
            if (web != null) {
                status.setWebAddress(HostPortPB.newBuilder().setHost(web.host()).setPort(web.port()));
            }
            response.onNext(status.build());
            response.onCompleted();
        }
    }

    /**
     * Registered before the catalog opens; until then, every call is UNAVAILABLE at the gRPC level.
     * Calls run on a pool of their own: DDL waits for its entry to commit, and the gRPC transport threads
     * it would otherwise block are the ones that deliver the consensus messages the commit needs.
     */
    private static final class DeferredMasterService extends basalt.proto.MasterServiceGrpc.MasterServiceImplBase {
        volatile MasterServiceImpl delegate;
        private final java.util.concurrent.ExecutorService calls = Executors.newFixedThreadPool(8, runnable -> {
            Thread thread = new Thread(runnable, "master-rpc");
            thread.setDaemon(true);
            return thread;
        });

        private void run(StreamObserver<?> response, Runnable call) {
            calls.execute(() -> {
                try {
                    call.run();
                } catch (RuntimeException e) {
                    response.onError(e instanceof io.grpc.StatusRuntimeException ? e
                            : io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
                }
            });
        }

        private MasterServiceImpl target() {
            MasterServiceImpl target = delegate;
            if (target == null) {
                throw io.grpc.Status.UNAVAILABLE.withDescription("the master is starting").asRuntimeException();
            }
            return target;
        }

        @Override
        public void listMasters(basalt.proto.ListMastersRequestPB r, StreamObserver<basalt.proto.ListMastersResponsePB> o) {
            run(o, () -> target().listMasters(r, o));
        }

        @Override
        public void listTabletServers(basalt.proto.ListTabletServersRequestPB r,
                                      StreamObserver<basalt.proto.ListTabletServersResponsePB> o) {
            run(o, () -> target().listTabletServers(r, o));
        }

        @Override
        public void listTables(basalt.proto.ListTablesRequestPB r, StreamObserver<basalt.proto.ListTablesResponsePB> o) {
            run(o, () -> target().listTables(r, o));
        }

        @Override
        public void getTableSchema(basalt.proto.GetTableSchemaRequestPB r,
                                   StreamObserver<basalt.proto.GetTableSchemaResponsePB> o) {
            run(o, () -> target().getTableSchema(r, o));
        }

        @Override
        public void getTableLocations(basalt.proto.GetTableLocationsRequestPB r,
                                      StreamObserver<basalt.proto.GetTableLocationsResponsePB> o) {
            run(o, () -> target().getTableLocations(r, o));
        }

        @Override
        public void createTable(basalt.proto.CreateTableRequestPB r, StreamObserver<basalt.proto.CreateTableResponsePB> o) {
            run(o, () -> target().createTable(r, o));
        }

        @Override
        public void isCreateTableDone(basalt.proto.IsCreateTableDoneRequestPB r,
                                      StreamObserver<basalt.proto.IsCreateTableDoneResponsePB> o) {
            run(o, () -> target().isCreateTableDone(r, o));
        }

        @Override
        public void deleteTable(basalt.proto.DeleteTableRequestPB r, StreamObserver<basalt.proto.DeleteTableResponsePB> o) {
            run(o, () -> target().deleteTable(r, o));
        }

        @Override
        public void alterTable(basalt.proto.AlterTableRequestPB r, StreamObserver<basalt.proto.AlterTableResponsePB> o) {
            run(o, () -> target().alterTable(r, o));
        }

        @Override
        public void isAlterTableDone(basalt.proto.IsAlterTableDoneRequestPB r,
                                     StreamObserver<basalt.proto.IsAlterTableDoneResponsePB> o) {
            run(o, () -> target().isAlterTableDone(r, o));
        }

        @Override
        public void heartbeat(basalt.proto.HeartbeatRequestPB r, StreamObserver<basalt.proto.HeartbeatResponsePB> o) {
            run(o, () -> target().heartbeat(r, o));
        }
    }
}
