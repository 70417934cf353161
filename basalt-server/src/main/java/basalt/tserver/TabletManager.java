package basalt.tserver;

import basalt.common.time.HybridClock;
import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import basalt.consensus.driver.DriverPool;
import basalt.consensus.driver.GroupDriver;
import basalt.consensus.driver.GroupOptions;
import basalt.consensus.wal.Wal;
import basalt.consensus.wal.WalOptions;
import basalt.proto.Code;
import basalt.proto.PeerPB;
import basalt.proto.TabletMetadataPB;
import basalt.server.rpc.GroupRegistry;
import basalt.server.rpc.GrpcConsensusTransport;
import basalt.server.rpc.PeerDirectory;
import basalt.tablet.Tablet;
import basalt.tablet.TabletException;
import basalt.tablet.TabletStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tablets this server hosts: creates, opens (bootstrap on restart), and deletes them.
 *
 * <p>Crash safety comes from the order of steps. Create: the group's consensus metadata (with its
 * initial membership) is made durable first, then the tablet's metadata in the store; a restart opens
 * only tablets the store knows and deletes a WAL directory left behind by a create that did not finish.
 * Delete: close the group, delete the tablet's keys, then its WAL directory; a restart removes a WAL
 * directory whose tablet is gone. Create and delete are idempotent, so a master may repeat them.
 */
public final class TabletManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TabletManager.class);

    private final NodeId self;
    private final TabletServerOptions options;
    private final TabletStore store;
    private final HybridClock clock;
    private final DriverPool pool;
    private final GrpcConsensusTransport transport;
    private final GroupRegistry registry;
    private final PeerDirectory peers;
    private final Map<String, TabletReplica> replicas = new ConcurrentHashMap<>();
    /** Told when any hosted replica starts to serve as leader (the heartbeater reports it at once). */
    private volatile Runnable leaderReadyListener = () -> { };

    public TabletManager(NodeId self, TabletServerOptions options, TabletStore store, HybridClock clock,
                         DriverPool pool, GrpcConsensusTransport transport, GroupRegistry registry,
                         PeerDirectory peers) {
        this.self = self;
        this.options = options;
        this.store = store;
        this.clock = clock;
        this.pool = pool;
        this.transport = transport;
        this.registry = registry;
        this.peers = peers;
    }

    /** Bootstrap: opens every tablet the store holds and replays its WAL; removes leftovers of crashes. */
    public void openAll() throws IOException {
        Files.createDirectories(options.walDir());
        List<TabletMetadataPB> tablets = store.listTablets();
        for (TabletMetadataPB metadata : tablets) {
            Tablet tablet = store.openTablet(metadata.getTabletId(), clock, options.tablet());
            Path groupDir = groupDir(metadata.getTabletId());
            if (!Files.exists(groupDir.resolve("consensus-meta"))) {
                throw new IOException("tablet " + metadata.getTabletId() + " is in the store but its consensus metadata "
                        + groupDir.resolve("consensus-meta") + " is missing; refusing to start");
            }
            startGroup(tablet, Membership.ofVoters(List.of()));
        }
        try (Stream<Path> dirs = Files.list(options.walDir())) {
            for (Path dir : dirs.toList()) {
                String tabletId = dir.getFileName().toString();
                if (Files.isDirectory(dir) && !replicas.containsKey(tabletId)) {
                    LOG.warn("removing {}: a tablet that was not fully created or deleted before a restart", dir);
                    deleteRecursively(dir);
                }
            }
        }
        LOG.info("opened {} tablets", replicas.size());
    }

    /**
     * Creates a replica of a tablet. {@code initialPeers} are the voters of a new group (with their
     * addresses); empty for a replica that joins an existing group and learns it from the leader.
     * Creating a tablet that exists with the same metadata succeeds and changes nothing.
     */
    public synchronized TabletReplica create(TabletMetadataPB metadata, List<PeerPB> initialPeers) throws IOException {
        return create(metadata, initialPeers, Optional.empty());
    }

    /**
     * As {@link #create(TabletMetadataPB, List)}, with {@code firstTermLeader} chosen by the creator to lead
     * term 1 of the new group without an election (see {@code ConsensusMetadata.preElected}); this replica
     * leads at once if it is the one. An existing replica is left as it is: leading term 1 is only for the
     * moment of creation.
     */
    public synchronized TabletReplica create(TabletMetadataPB metadata, List<PeerPB> initialPeers,
                                             Optional<NodeId> firstTermLeader) throws IOException {
        String tabletId = metadata.getTabletId();
        TabletReplica existing = replicas.get(tabletId);
        if (existing != null) {
            if (existing.tablet().metadata().equals(metadata)) {
                return existing;
            }
            throw new TabletException(Code.ALREADY_PRESENT, "tablet " + tabletId + " exists here with other metadata");
        }
        List<NodeId> voters = new ArrayList<>();
        for (PeerPB peer : initialPeers) {
            NodeId id = NodeId.of(peer.getUuid());
            voters.add(id);
            if (!id.equals(self)) {
                peers.put(id, new basalt.common.net.HostPort(peer.getAddress().getHost(), peer.getAddress().getPort()));
            }
        }
        if (!voters.isEmpty() && !voters.contains(self)) {
            throw new TabletException(Code.INVALID_ARGUMENT, "tablet " + tabletId + ": this server (" + self
                    + ") is not among the initial peers " + voters);
        }
        Path groupDir = groupDir(tabletId);
        if (Files.exists(groupDir)) {
            deleteRecursively(groupDir); // left by a create that failed half way
        }
        Membership membership = Membership.ofVoters(voters);
        Optional<NodeId> preElected = firstTermLeader.filter(membership::isVoter);
        if (firstTermLeader.isPresent() && preElected.isEmpty()) {
            throw new TabletException(Code.INVALID_ARGUMENT, "tablet " + tabletId + ": first term leader "
                    + firstTermLeader.get() + " is not among the initial voters " + voters);
        }
        Tablet tablet;
        GroupOptions groupOptions = groupOptions(tabletId, membership);
        // The WAL directory exists before the consensus metadata is written, so the directory fsync of
        // that write makes its entry durable too. Its first segment (two fsyncs of its own) is created
        // meanwhile on another thread: the replica's creation, on the path of every CreateTable, waits
        // for the longer of the two instead of their sum. Nothing depends on the order between them: a
        // restart deletes the group directory of a tablet the store does not know, and recreates an
        // empty WAL that is missing.
        Files.createDirectories(groupOptions.walDir());
        CompletableFuture<Void> walCreated = CompletableFuture.runAsync(() -> {
            try {
                Wal.open(groupOptions.walDir(), groupOptions.wal()).close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, task -> Thread.ofPlatform().daemon().name("wal-create-" + tabletId).start(task));
        // Consensus metadata first, then the tablet in the store.
        try {
            basalt.consensus.meta.ConsensusMetadataFile.create(groupOptions.metadataFile(), preElected
                    .map(leader -> basalt.consensus.meta.ConsensusMetadata.preElected(membership, leader))
                    .orElseGet(() -> basalt.consensus.meta.ConsensusMetadata.initial(membership)));
        } catch (IOException | RuntimeException e) {
            // Never leave the WAL's thread writing into a directory that a retried create deletes.
            walCreated.handle((ignored, failure) -> null).join();
            throw e;
        }
        awaitWal(walCreated, tabletId);
        tablet = store.createTablet(metadata, clock, options.tablet());
        TabletReplica replica = startGroup(tablet, membership);
        LOG.info("created tablet {} of table {} with voters {}{}", tabletId, metadata.getTableName(), voters,
                preElected.map(leader -> ", " + leader + " leads term 1").orElse(""));
        if (preElected.isPresent() && preElected.get().equals(self)) {
            // Only now, with the metadata and the tablet durable: a crash before this point leaves either
            // nothing (the master creates it again) or a replica that never led, and a restart never leads
            // term 1 again (it would with an empty log, after followers may have taken its entries).
            replica.driver().leadFirstTerm();
        }
        return replica;
    }

    private static void awaitWal(CompletableFuture<Void> walCreated, String tabletId) throws IOException {
        try {
            walCreated.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw new IOException("creating the WAL of tablet " + tabletId + " failed", e.getCause());
        }
    }

    private TabletReplica startGroup(Tablet tablet, Membership initialMembership) throws IOException {
        GroupDriver driver = GroupDriver.open(groupOptions(tablet.tabletId(), initialMembership), tablet,
                transport.transportFor(tablet.tabletId()), pool);
        registry.register(driver);
        driver.onLeaderReady(() -> leaderReadyListener.run());
        TabletReplica replica = new TabletReplica(tablet, driver);
        replicas.put(tablet.tabletId(), replica);
        return replica;
    }

    private GroupOptions groupOptions(String tabletId, Membership membership) {
        return new GroupOptions(tabletId, self, groupDir(tabletId), membership, options.raft(),
                WalOptions.defaults().withSegmentSizeBytes(options.walSegmentBytes()), options.logCacheBytesMax(),
                Math.max(1, (int) (1000 / options.tickMs())), 10_000,
                (self.value() + "/" + tabletId).hashCode() * 0x9E3779B97F4A7C15L ^ System.nanoTime());
    }

    /** Deletes a replica and all its data; false when there was none. */
    public synchronized boolean delete(String tabletId) throws IOException {
        TabletReplica replica = replicas.remove(tabletId);
        if (replica == null) {
            return false;
        }
        registry.unregister(replica.driver());
        replica.driver().close();
        store.deleteTablet(tabletId);
        deleteRecursively(groupDir(tabletId));
        LOG.info("deleted tablet {}", tabletId);
        return true;
    }

    public void onLeaderReady(Runnable listener) {
        leaderReadyListener = listener;
    }

    public Optional<TabletReplica> lookup(String tabletId) {
        return Optional.ofNullable(replicas.get(tabletId));
    }

    public List<TabletReplica> all() {
        return replicas.values().stream().sorted(Comparator.comparing(TabletReplica::tabletId)).toList();
    }

    private Path groupDir(String tabletId) {
        return options.walDir().resolve(tabletId);
    }

    @Override
    public void close() {
        for (TabletReplica replica : replicas.values()) {
            registry.unregister(replica.driver());
            replica.driver().close();
        }
        replicas.clear();
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
