package basalt.consensus.driver;

import basalt.common.check.Check;
import basalt.consensus.cache.LogCache;
import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.Event;
import basalt.consensus.core.HardState;
import basalt.consensus.core.Input;
import basalt.consensus.core.Membership;
import basalt.consensus.core.MembershipChange;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.consensus.core.ProposalResult;
import basalt.consensus.core.RaftCore;
import basalt.consensus.core.Ready;
import basalt.consensus.meta.ConsensusMetadata;
import basalt.consensus.meta.ConsensusMetadataFile;
import basalt.consensus.wal.Anchors;
import basalt.consensus.wal.Wal;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one replica of one Raft group: feeds the pure {@link RaftCore} with ticks, messages and
 * proposals, and carries out each {@link Ready} in the order it demands.
 *
 * <p>Threading: every input runs as a task on the group's {@link SerialExecutor} (one at a time, on
 * the shared {@link DriverPool}), so the core, the log cache's writers and the state machine see one
 * thread. The WAL's fsync runs on the WAL's syncer thread, which sends the messages that waited for it
 * itself ({@link DurabilityGate}); the completion then comes back to the core as a task.
 *
 * <p>Durability: the hard state is written synchronously (atomic file replace) before anything else
 * of its Ready; entries are appended to the WAL (buffered) and an fsync is requested; messages in
 * {@code sendNow} leave at once, which is how a leader replicates in parallel with its own fsync;
 * messages in {@code sendAfterDurable} leave only once every earlier write is durable; then
 * {@link Input.LogDurable} goes back to the core, which lets a leader count itself toward commit.
 * Committed entries are applied in order up to {@code applyUpTo}, which never passes what is durable.
 *
 * <p>A failure in any task (an I/O error, a broken check) stops the group: it closes itself rather
 * than run on in a state nobody reasoned about.
 */
public final class GroupDriver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupDriver.class);
    private static final int MAX_PROPOSALS_PER_STEP = 1024;
    private static final long MAX_APPLY_BATCH_BYTES = 4L << 20;

    /** A proposal waiting for its entry to be applied; {@code opId} is set once the leader accepted it. */
    private static final class PendingProposal {
        final ByteString payload;
        final CompletableFuture<Object> result = new CompletableFuture<>();
        OpId opId;

        PendingProposal(ByteString payload) {
            this.payload = payload;
        }
    }

    /** A read-only view of the replica, safe to read from any thread. */
    /**
     * @param leaderReady this leader committed an entry of its term, so its commit index is current
     * @param servesWrites this leader also applied that entry, so its state machine reflects every
     *     earlier entry (a tablet assigns timestamps above everything applied only from then on)
     */
    public record Status(String groupId, NodeId self, String role, long term, Optional<NodeId> leaderHint,
                         boolean leaderReady, boolean servesWrites, long commitIndex, OpId lastOpId,
                         long appliedIndex, Membership membership, long logCacheBytesUsed, long walFirstIndex,
                         int walSegments) {}

    /**
     * The phases of the last failover this replica won, for metrics: detection (the old leader silent
     * until this replica started an election), election (until it won), leader ready (until it applied
     * the first entry of its term and served), and when it began to serve ({@link System#nanoTime()}).
     */
    public record Failover(long term, long detectionNanos, long electionNanos, long leaderReadyNanos,
                           long servingSinceNanos) {}

    private final GroupOptions options;
    private final StateMachine stateMachine;
    private final Transport transport;
    private final DriverPool pool;
    private final Wal wal;
    private final LogCache log;
    private final RaftCore core;
    private final Anchors anchors = new Anchors();
    private final SerialExecutor executor;

    private final ConcurrentLinkedQueue<PendingProposal> proposalQueue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger proposalsQueued = new AtomicInteger();
    private final AtomicBoolean proposalDrainScheduled = new AtomicBoolean();
    private final AtomicBoolean tickQueued = new AtomicBoolean();

    private final DurabilityGate durabilityGate;

    // Group thread only.
    private final TreeMap<Long, PendingProposal> proposalsByIndex = new TreeMap<>();
    private final TreeMap<Long, CompletableFuture<OpId>> membershipChangesByIndex = new TreeMap<>();
    private long writeNumber;
    private ConfigAt appliedConfig;
    private HardState persistedHardState;
    private int ticksSinceGc;

    private volatile Status status;
    private volatile boolean closed;
    /** Told (on the group thread) each time this replica starts to serve a term as leader. */
    private volatile Runnable leaderReadyListener = () -> { };
    /** When an append from a leader last arrived (any thread writes; read by the group thread). */
    private volatile long lastAppendFromLeaderNanos = System.nanoTime();
    // Group thread only: the timeline of an election this replica runs, for the failover log line.
    private long electionStartedNanos = -1;
    private long leaderSilentForNanos;
    private long becameLeaderNanos = -1;
    private long readyLoggedTerm = -1;
    // For operators (metrics, web UI): written by the group thread, read by any.
    private volatile long electionsStarted;
    private volatile long leaderChanges;
    private volatile Failover lastFailover;
    private volatile Map<NodeId, Long> peerMatchIndexes = Map.of();
    private Optional<NodeId> lastKnownLeader = Optional.empty(); // group thread only
    private int ticksSincePeerSnapshot; // group thread only

    private GroupDriver(GroupOptions options, StateMachine stateMachine, Transport transport, DriverPool pool,
                        Wal wal, ConsensusMetadata metadata) {
        this.options = options;
        this.stateMachine = stateMachine;
        this.transport = transport;
        this.pool = pool;
        this.wal = wal;
        this.log = new LogCache(wal, options.logCacheBytesMax());
        this.persistedHardState = toHardState(metadata);
        this.appliedConfig = persistedHardState.committedConfig();
        LOG.info("group {} replica {}: starting at term {}, membership {}, WAL {}..{}, applied {}, random seed {}",
                options.groupId(), options.self(), metadata.currentTerm(), metadata.committedMembership(),
                log.firstIndex(), log.lastIndex(), stateMachine.lastApplied(), options.randomSeed());
        this.core = new RaftCore(options.self(), options.raft(), log, persistedHardState,
                stateMachine.lastApplied().index(), new SplittableRandom(options.randomSeed()));
        this.executor = new SerialExecutor(pool.workers(), options.inboxCapacity(), this::failStop);
        this.durabilityGate = new DurabilityGate(transport);
        anchors.set("state-machine", stateMachine.durableIndex() + 1);
        publishStatus();
        pool.register(this);
    }

    /**
     * Opens (or creates) a replica in {@code options.dir()}: loads the consensus metadata, recovers the
     * WAL, and replays from the state machine's durable point as the core learns what is committed.
     * Refuses to start when the metadata is missing next to a WAL with data, or is corrupt: a replica
     * must never forget its vote.
     */
    public static GroupDriver open(GroupOptions options, StateMachine stateMachine, Transport transport,
                                   DriverPool pool) throws IOException {
        Files.createDirectories(options.dir());
        Path metadataFile = options.metadataFile();
        ConsensusMetadata metadata;
        if (Files.exists(metadataFile)) {
            metadata = ConsensusMetadataFile.load(metadataFile);
        } else if (hasWalData(options.walDir())) {
            throw new IOException("consensus metadata " + metadataFile + " is missing but the WAL in "
                    + options.walDir() + " has data; refusing to start rather than forget this replica's vote");
        } else {
            metadata = ConsensusMetadata.initial(options.initialMembership());
            ConsensusMetadataFile.create(metadataFile, metadata);
        }
        Wal wal = Wal.open(options.walDir(), options.wal(), pool.walSyncers());
        wal.setListener(pool.walListener());
        OpId applied = stateMachine.lastApplied();
        if (applied.index() > wal.lastIndex()) {
            // The state machine is ahead of the log (a tablet copy was installed, then we crashed before the
            // WAL reset): the log restarts after it.
            wal.resetTo(applied);
        } else if (applied.index() < wal.snapshotOpId().index()) {
            wal.close();
            throw new IOException("the WAL in " + options.walDir() + " starts after index "
                    + wal.snapshotOpId().index() + " but the state machine is durable only up to "
                    + applied.index() + ": entries in between are lost");
        }
        return new GroupDriver(options, stateMachine, transport, pool, wal, metadata);
    }

    private static boolean hasWalData(Path walDir) throws IOException {
        if (!Files.isDirectory(walDir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(walDir)) {
            return files.findAny().isPresent();
        }
    }

    // ---------------------------------------------------------------- inputs from other threads

    /** Called by the pool's timer; at most one tick waits in the queue at a time. */
    void tick() {
        if (!closed && tickQueued.compareAndSet(false, true)) {
            if (!executor.offer(() -> {
                tickQueued.set(false);
                step(new Input.Tick());
                maybeCollectGarbage();
                maybeSnapshotPeerProgress();
            })) {
                tickQueued.set(false);
            }
        }
    }

    /** A message from a peer; dropped when the inbox is full (Raft retries). */
    public void receive(Message message) {
        if (message instanceof Message.AppendRequest) {
            lastAppendFromLeaderNanos = System.nanoTime();
        }
        if (!closed) {
            executor.offer(() -> step(new Input.Receive(message)));
        }
    }

    /** A tablet copy from the leader. */
    public void receiveTabletCopy(TabletCopy copy) {
        if (!closed) {
            executor.execute(() -> installTabletCopy(copy));
        }
    }

    /**
     * Proposes an operation. The future completes with the state machine's result once the entry is
     * committed and applied here, or fails with {@link ProposalRefusedException} when it certainly will
     * not be applied. Proposals queued together are appended as one batch (one WAL write, one fsync).
     */
    public CompletableFuture<Object> propose(ByteString payload) {
        PendingProposal proposal = new PendingProposal(payload);
        if (closed) {
            proposal.result.completeExceptionally(new ProposalRefusedException("the group is closed", Optional.empty()));
            return proposal.result;
        }
        if (proposalsQueued.incrementAndGet() > options.inboxCapacity()) {
            proposalsQueued.decrementAndGet();
            proposal.result.completeExceptionally(new ProposalRefusedException(
                    "overloaded: " + options.inboxCapacity() + " proposals queued", Optional.empty()));
            return proposal.result;
        }
        proposalQueue.add(proposal);
        if (proposalDrainScheduled.compareAndSet(false, true)) {
            executor.execute(this::drainProposals);
        }
        return proposal.result;
    }

    /** Changes the group by one server; completes with the CONFIG entry's OpId once it is applied here. */
    public CompletableFuture<OpId> changeMembership(MembershipChange change) {
        CompletableFuture<OpId> result = new CompletableFuture<>();
        executor.execute(() -> {
            Ready ready = core.step(new Input.ChangeMembership(change));
            ProposalResult outcome = ready.proposal().orElseThrow();
            if (outcome.isAccepted()) {
                membershipChangesByIndex.put(outcome.firstOpId().get().index(), result);
            } else {
                result.completeExceptionally(new ProposalRefusedException(outcome.refusal(), outcome.leaderHint()));
            }
            execute(ready);
        });
        return result;
    }

    /**
     * Makes a replica just created with {@link basalt.consensus.meta.ConsensusMetadata#preElected} metadata
     * naming it lead term 1 at once, without waiting for a tick or an election. Call only right after
     * creating the replica, never after a restart.
     */
    public void leadFirstTerm() {
        executor.execute(() -> step(new Input.LeadFirstTerm()));
    }

    /** Asks this replica, if it leads, to hand leadership to {@code target} once it is caught up. */
    public void transferLeadership(NodeId target) {
        executor.execute(() -> step(new Input.TransferLeadership(target)));
    }

    public Status status() {
        return status;
    }

    /**
     * Runs {@code listener} whenever this replica starts to serve a new term as leader; a tablet server
     * uses it to tell the masters at once rather than at its next heartbeat. Must be quick.
     */
    public void onLeaderReady(Runnable listener) {
        leaderReadyListener = listener;
    }

    public String groupId() {
        return options.groupId();
    }

    public NodeId self() {
        return options.self();
    }

    /** Elections this replica started (it became candidate; pre-votes that went nowhere do not count). */
    public long electionsStarted() {
        return electionsStarted;
    }

    /** How many times the leader this replica knows of changed to another one (itself included). */
    public long leaderChanges() {
        return leaderChanges;
    }

    /** The last failover this replica won and logged, if any. */
    public Optional<Failover> lastFailover() {
        return Optional.ofNullable(lastFailover);
    }

    /**
     * While leading: each peer's match index (how far its log is known to agree with ours), refreshed about
     * once a second; empty when not leading. The gap to {@link Status#lastOpId()} is a follower's lag.
     */
    public Map<NodeId, Long> peerMatchIndexes() {
        return peerMatchIndexes;
    }

    /** Every entry of this replica's WAL at or below this index is fsynced (for tests of what may be acknowledged). */
    long walDurableIndex() {
        return wal.durableIndex();
    }

    /** The directory of this replica's WAL segments. */
    public Path walDir() {
        return options.walDir();
    }

    /** The named WAL anchors (oldest index each still needs) and their minimum, for operators. */
    public Map<String, Long> anchors() {
        return anchors.list();
    }

    // ---------------------------------------------------------------- the group thread

    private void drainProposals() {
        proposalDrainScheduled.set(false);
        List<PendingProposal> batch = new ArrayList<>();
        PendingProposal next;
        while (batch.size() < MAX_PROPOSALS_PER_STEP && (next = proposalQueue.poll()) != null) {
            proposalsQueued.decrementAndGet();
            batch.add(next);
        }
        if (!proposalQueue.isEmpty() && proposalDrainScheduled.compareAndSet(false, true)) {
            executor.execute(this::drainProposals);
        }
        if (batch.isEmpty()) {
            return;
        }
        if (closed) {
            batch.forEach(p -> p.result.completeExceptionally(
                    new ProposalRefusedException("the group is closed", Optional.empty())));
            return;
        }
        Ready ready = core.step(new Input.Propose(batch.stream().map(p -> p.payload).toList()));
        ProposalResult outcome = ready.proposal().orElseThrow();
        if (outcome.isAccepted()) {
            OpId first = outcome.firstOpId().get();
            for (int i = 0; i < batch.size(); i++) {
                PendingProposal proposal = batch.get(i);
                proposal.opId = new OpId(first.term(), first.index() + i);
                proposalsByIndex.put(proposal.opId.index(), proposal);
            }
        } else {
            ProposalRefusedException refused = new ProposalRefusedException(outcome.refusal(), outcome.leaderHint());
            batch.forEach(p -> p.result.completeExceptionally(refused));
        }
        execute(ready);
    }

    private void step(Input input) {
        if (closed) {
            return;
        }
        execute(core.step(input));
    }

    /** Carries out one Ready, in the order its contract gives. */
    private void execute(Ready ready) {
        logEvents(ready.events());
        try {
            if (ready.hardState().isPresent() && !ready.hardState().get().equals(persistedHardState)) {
                HardState hardState = ready.hardState().get();
                ConsensusMetadataFile.save(options.metadataFile(), toMetadata(hardState));
                persistedHardState = hardState;
            }
            for (Message message : ready.sendNow()) {
                transport.send(message);
            }
            if (!ready.entries().isEmpty()) {
                wal.append(ready.entries());
                long number = ++writeNumber;
                OpId last = ready.entries().get(ready.entries().size() - 1).opId();
                durabilityGate.register(number, last, ready.sendAfterDurable());
                wal.sync().whenComplete((ignored, failure) -> onSynced(number, failure));
            } else {
                durabilityGate.sendWhenDurable(ready.sendAfterDurable());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        applyCommitted(ready.applyUpTo());
        for (NodeId peer : ready.peersNeedingTabletCopy()) {
            sendTabletCopy(peer);
        }
        publishStatus();
    }

    /**
     * Runs on the WAL's syncer thread (or inline when the write was durable already): sends what waited
     * for this write at once (see {@link DurabilityGate}), then tells the core on the group's thread.
     */
    private void onSynced(long number, Throwable failure) {
        if (failure != null) {
            executor.execute(() -> {
                if (!closed) {
                    throw new IllegalStateException("WAL fsync failed in " + options.walDir(), failure);
                }
            });
            return;
        }
        if (closed) {
            return;
        }
        OpId durable = durabilityGate.release(number);
        if (durable != null) {
            executor.execute(() -> onLogDurable(durable));
        }
    }

    private void onLogDurable(OpId durable) {
        if (closed) {
            return;
        }
        log.markDurable(durable);
        step(new Input.LogDurable(durable));
    }

    private void applyCommitted(long upTo) {
        long applied = stateMachine.lastApplied().index();
        while (applied < upTo) {
            List<Entry> batch = log.entries(applied + 1, upTo, MAX_APPLY_BATCH_BYTES);
            for (Entry entry : batch) {
                Object result = stateMachine.apply(entry);
                if (entry.type() == EntryType.CONFIG) {
                    appliedConfig = new ConfigAt(entry.index(), Membership.decode(entry.payload()));
                    CompletableFuture<OpId> change = membershipChangesByIndex.remove(entry.index());
                    if (change != null) {
                        change.complete(entry.opId());
                    }
                }
                completeProposal(entry, result);
                applied = entry.index();
            }
        }
        // Proposals at indexes now applied with another OpId, and membership changes likewise, lost.
        failSupersededBelow(applied);
    }

    private void completeProposal(Entry entry, Object result) {
        PendingProposal proposal = proposalsByIndex.remove(entry.index());
        if (proposal == null) {
            return;
        }
        if (proposal.opId.equals(entry.opId())) {
            proposal.result.complete(result);
        } else {
            proposal.result.completeExceptionally(new ProposalRefusedException(
                    "lost to " + entry.opId() + " after a leader change", core.leaderHint()));
        }
    }

    private void failSupersededBelow(long applied) {
        while (!membershipChangesByIndex.isEmpty() && membershipChangesByIndex.firstKey() <= applied) {
            membershipChangesByIndex.pollFirstEntry().getValue().completeExceptionally(
                    new ProposalRefusedException("the membership change lost to another entry", core.leaderHint()));
        }
    }

    private void sendTabletCopy(NodeId peer) {
        OpId lastIncluded = stateMachine.lastApplied();
        LOG.info("group {}: sending a tablet copy up to {} to {}", options.groupId(), lastIncluded, peer);
        transport.sendTabletCopy(peer, new TabletCopy(lastIncluded, appliedConfig, stateMachine.snapshot()));
    }

    private void installTabletCopy(TabletCopy copy) {
        if (closed || !core.acceptsTabletCopy(copy.lastIncluded())) {
            return;
        }
        LOG.info("group {} replica {}: installing a tablet copy up to {}", options.groupId(), options.self(),
                copy.lastIncluded());
        stateMachine.install(copy.data(), copy.lastIncluded());
        try {
            wal.resetTo(copy.lastIncluded());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        durabilityGate.clear();
        appliedConfig = copy.config();
        for (PendingProposal proposal : proposalsByIndex.headMap(copy.lastIncluded().index(), true).values()) {
            proposal.result.completeExceptionally(new IllegalStateException(
                    "outcome unknown: this replica was replaced by a tablet copy"));
        }
        proposalsByIndex.headMap(copy.lastIncluded().index(), true).clear();
        step(new Input.TabletCopyInstalled(copy.lastIncluded(), copy.config()));
    }

    private void maybeCollectGarbage() {
        if (closed || ++ticksSinceGc < options.gcEveryTicks()) {
            return;
        }
        ticksSinceGc = 0;
        anchors.set("state-machine", stateMachine.durableIndex() + 1);
        try {
            int deleted = anchors.deleteUnanchoredSegments(wal);
            if (deleted > 0) {
                LOG.debug("group {}: deleted {} WAL segments below {}", options.groupId(), deleted, anchors.minimum());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the leader's per-peer progress for other threads, every {@code gcEveryTicks} ticks (cheap on 1000s of groups). */
    private void maybeSnapshotPeerProgress() {
        if (closed || ++ticksSincePeerSnapshot < options.gcEveryTicks()) {
            return;
        }
        ticksSincePeerSnapshot = 0;
        if (core.role() instanceof basalt.consensus.core.Role.Leader leader) {
            Map<NodeId, Long> matches = new TreeMap<>(java.util.Comparator.comparing(NodeId::value));
            leader.progress().forEach((peer, progress) -> matches.put(peer, progress.matchIndex()));
            peerMatchIndexes = java.util.Collections.unmodifiableMap(matches);
        } else if (!peerMatchIndexes.isEmpty()) {
            peerMatchIndexes = Map.of();
        }
    }

    private void publishStatus() {
        Optional<NodeId> leader = core.leaderHint();
        if (leader.isPresent() && !leader.equals(lastKnownLeader)) {
            LOG.info("group {} replica {}: leader is now {} in term {} (was {})", options.groupId(), options.self(),
                    leader.get(), core.term(), lastKnownLeader.map(NodeId::value).orElse("unknown"));
            lastKnownLeader = leader;
            leaderChanges++;
        }
        long applied = stateMachine.lastApplied().index();
        boolean servesWrites = core.isLeaderReady() && applied >= core.firstIndexOfTerm();
        boolean becameReady = servesWrites && readyLoggedTerm != core.term();
        if (becameReady) {
            readyLoggedTerm = core.term();
            logFailover();
        }
        status = new Status(options.groupId(), options.self(), core.role().name(), core.term(), core.leaderHint(),
                core.isLeaderReady(), servesWrites, core.commitIndex(), log.lastOpId(), applied,
                core.membership(), log.logCacheBytesUsed(), wal.firstIndex(), wal.segmentCount());
        if (becameReady) {
            leaderReadyListener.run(); // after the status is published: listeners report it
        }
    }

    /**
     * One line per failover that splits the unavailability: detection (the old leader silent until this
     * replica started an election), election (until it won), and leader ready (until it applied the
     * first entry of its term and serves).
     */
    private void logFailover() {
        long now = System.nanoTime();
        if (electionStartedNanos < 0 || becameLeaderNanos < 0) {
            LOG.info("group {}: {} leads term {} and serves", options.groupId(), options.self(), core.term());
            return;
        }
        lastFailover = new Failover(core.term(), leaderSilentForNanos, becameLeaderNanos - electionStartedNanos,
                now - becameLeaderNanos, now);
        LOG.info("group {}: failover to {} in term {}: detection {} ms, election {} ms, leader ready {} ms, total {} ms",
                options.groupId(), options.self(), core.term(), TimeUnit.NANOSECONDS.toMillis(leaderSilentForNanos),
                TimeUnit.NANOSECONDS.toMillis(becameLeaderNanos - electionStartedNanos),
                TimeUnit.NANOSECONDS.toMillis(now - becameLeaderNanos),
                TimeUnit.NANOSECONDS.toMillis(leaderSilentForNanos + now - electionStartedNanos));
        electionStartedNanos = -1;
        becameLeaderNanos = -1;
    }

    private void noteElectionTimeline(Event event) {
        if (event.kind() != Event.Kind.ROLE_CHANGED) {
            return;
        }
        long now = System.nanoTime();
        if ((event.text().startsWith("became pre-candidate") || event.text().startsWith("became candidate"))
                && electionStartedNanos < 0) {
            electionStartedNanos = now;
            leaderSilentForNanos = now - lastAppendFromLeaderNanos;
        }
        if (event.text().startsWith("became candidate")) {
            electionsStarted++;
        }
        if (event.text().startsWith("became leader")) {
            becameLeaderNanos = now;
        } else if (event.text().startsWith("became follower")) {
            electionStartedNanos = -1;
            becameLeaderNanos = -1;
        }
    }

    private void logEvents(List<Event> events) {
        for (Event event : events) {
            noteElectionTimeline(event);
            switch (event.kind()) {
                case ROLE_CHANGED, STEPPED_DOWN, TRANSFER, MEMBERSHIP_CHANGED, TABLET_COPY_NEEDED ->
                        LOG.info("group {}: {}", options.groupId(), event);
                default -> LOG.debug("group {}: {}", options.groupId(), event);
            }
        }
    }

    private void failStop(Throwable failure) {
        LOG.error("group {} replica {} stops after a failure", options.groupId(), options.self(), failure);
        closeNow();
    }

    private void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        durabilityGate.clear();
        pool.unregister(this);
        ProposalRefusedException refused = new ProposalRefusedException("the group is closed", Optional.empty());
        proposalsByIndex.values().forEach(p -> p.result.completeExceptionally(refused));
        proposalsByIndex.clear();
        membershipChangesByIndex.values().forEach(f -> f.completeExceptionally(refused));
        membershipChangesByIndex.clear();
        PendingProposal queued;
        while ((queued = proposalQueue.poll()) != null) {
            queued.result.completeExceptionally(refused);
        }
        try {
            wal.close();
        } catch (IOException e) {
            LOG.warn("group {}: closing the WAL failed", options.groupId(), e);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops the replica: pending proposals fail, the WAL is closed. Waits for the group's thread. */
    @Override
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        executor.execute(() -> {
            closeNow();
            done.complete(null);
        });
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            Check.state(false, "closing group %s timed out: %s", options.groupId(), e);
        }
    }

    private static HardState toHardState(ConsensusMetadata metadata) {
        return new HardState(metadata.currentTerm(), metadata.votedFor(),
                new ConfigAt(metadata.committedConfigIndex(), metadata.committedMembership()));
    }

    private static ConsensusMetadata toMetadata(HardState hardState) {
        return new ConsensusMetadata(hardState.term(), hardState.votedFor(),
                hardState.committedConfig().membership(), hardState.committedConfig().index());
    }
}
