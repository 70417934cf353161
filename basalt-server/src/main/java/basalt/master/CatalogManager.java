package basalt.master;

import basalt.common.net.HostPort;
import basalt.consensus.core.NodeId;
import basalt.consensus.driver.GroupDriver;
import basalt.consensus.driver.ProposalRefusedException;
import basalt.master.catalog.CatalogStateMachine;
import basalt.proto.AlterSchemaRequestPB;
import basalt.proto.AlterTableRequestPB;
import basalt.proto.AlterTableResponsePB;
import basalt.proto.CatalogOpPB;
import basalt.proto.Code;
import basalt.proto.CreateTableRequestPB;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.CreateTabletRequestPB;
import basalt.proto.DeleteTableRequestPB;
import basalt.proto.DeleteTableResponsePB;
import basalt.proto.DeleteTabletRequestPB;
import basalt.proto.ErrorPB;
import basalt.proto.PartitionPB;
import basalt.proto.PeerPB;
import basalt.proto.RequestOutcomePB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TableRecordPB;
import basalt.proto.TableState;
import basalt.proto.TabletMetadataPB;
import basalt.proto.TabletRecordPB;
import basalt.proto.TabletReportPB;
import basalt.proto.TabletServerServiceGrpc;
import basalt.proto.TabletState;
import basalt.server.rpc.Errors;
import basalt.server.rpc.PeerDirectory;
import basalt.tablet.PartitionSchema;
import basalt.tablet.Schema;
import basalt.tablet.SchemaEvolution;
import basalt.tablet.TabletException;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader master's DDL and its work on tablet servers. The catalog changes only through committed
 * entries; this class proposes them (one DDL at a time, so a name is checked against everything that
 * committed before) and drives tablet servers from catalog state alone, by idempotent tasks that any
 * new leader resumes: create the replicas of CREATING tables until each tablet has a leader, then mark
 * the table RUNNING; delete the replicas of DELETING tables, then remove their records. Every command to
 * a tablet server carries this master's term, so a deposed leader's commands are refused.
 *
 * <p>Exactly once: a DDL's first outcome is committed with it (keyed by its request id), so a retry
 * after a leader change gets that outcome back ("already exists" for the table we just created would be
 * a bug).
 */
public final class CatalogManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CatalogManager.class);
    private static final long COMMIT_TIMEOUT_MS = 10_000;
    private static final long TASK_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1_000);
    /**
     * How often a round also sweeps every running tablet for dead replicas and every report for orphans.
     * Both are O(tablets); at 100,000 tablets a sweep every 100 ms round kept a core busy. Replacing a
     * replica starts only after a server has been silent for tens of seconds, so a second is plenty.
     */
    private static final long SWEEP_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1_000);

    private final NodeId self;
    private final GroupDriver catalogGroup;
    private final CatalogStateMachine catalog;
    private final TabletServerRegistry tabletServers;
    private final PeerDirectory masterPeers;
    private final MasterServerOptions options;
    private final Object ddlLock = new Object();
    /** IsCreateTableDone calls holding their answer until their table is usable. */
    private final CreateTableWaiters createWaiters = new CreateTableWaiters();
    /**
     * The last RUNNING commit of the task thread, proposed under {@link #ddlLock} but awaited outside it
     * (see {@link #markRunning}); an alter or delete awaits it before reading a table record.
     */
    private volatile CompletableFuture<Object> runningCommit = CompletableFuture.completedFuture(null);
    private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
    /** When a create or delete was last sent, per "tablet/server", so tasks do not hammer a server. */
    private final Map<String, Long> lastAttemptNanos = new ConcurrentHashMap<>();
    /** Replicas whose deletion a tablet server confirmed, per "tablet/server". */
    private final Map<String, Boolean> deletionConfirmed = new ConcurrentHashMap<>();
    private volatile long leaderTerm = -1;
    /** For the failover log line: when this master began to serve its term, and who heartbeated since. */
    private volatile long servingSinceNanos;
    private final java.util.Set<String> rehomed = ConcurrentHashMap.newKeySet();
    private volatile boolean rehomedLogged;
    /** Told of each failover this master won once every live tablet server re-homed (metrics). */
    private volatile java.util.function.ObjLongConsumer<GroupDriver.Failover> failoverListener = (f, rehomed) -> { };
    /** Runs a task round soon, on the task thread; set by the server before it serves. */
    private volatile Runnable taskRoundSoon = () -> { };
    // When the last sweep ran; only the task thread touches it.
    private long lastSweepNanos;

    CatalogManager(NodeId self, GroupDriver catalogGroup, CatalogStateMachine catalog,
                   TabletServerRegistry tabletServers, PeerDirectory masterPeers, MasterServerOptions options) {
        this.self = self;
        this.catalogGroup = catalogGroup;
        this.catalog = catalog;
        this.tabletServers = tabletServers;
        this.masterPeers = masterPeers;
        this.options = options;
    }

    /**
     * How to ask for a task round now instead of at the next interval: after a create commits (its tablets
     * should be created at once) and when a heartbeat reports that a tablet of a CREATING table has a ready
     * leader (the table is usable, and can be marked RUNNING at once).
     */
    void onTaskRoundWanted(Runnable trigger) {
        this.taskRoundSoon = trigger;
    }

    /** Called for every heartbeat this master takes in: wants a task round if a creation can finish. */
    void onHeartbeat(List<TabletReportPB> reports) {
        for (TabletReportPB report : reports) {
            if (report.getConsensus().getRole().equals("leader") && report.getConsensus().getLeaderReady()
                    && catalog.read(state -> state.tableById(report.getTablet().getTableId()))
                            .map(table -> table.getState() == TableState.TABLE_CREATING).orElse(false)) {
                createWaiters.recheck();
                taskRoundSoon.run();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- leadership

    /** Why this master cannot serve a leader-only call now, if it cannot. */
    Optional<ErrorPB> leaderRefusal() {
        GroupDriver.Status status = catalogGroup.status();
        if (!status.role().equals("leader")) {
            return Optional.of(Errors.notTheLeader("the catalog", status.leaderHint(), masterPeers));
        }
        if (!status.servesWrites()) {
            return Optional.of(Errors.of(Code.SERVICE_UNAVAILABLE,
                    "this master was just elected and has not yet applied the first entry of its term"));
        }
        if (status.term() != leaderTerm) {
            // A new term: forget the tasks in flight; what tablet servers told every master stays useful.
            lastAttemptNanos.clear();
            deletionConfirmed.clear();
            rehomed.clear();
            rehomedLogged = false;
            servingSinceNanos = System.nanoTime();
            leaderTerm = status.term();
            LOG.info("master {} leads the catalog in term {} with {} tables", self, leaderTerm,
                    catalog.read(state -> state.tables().size()));
        }
        return Optional.empty();
    }

    /** A tablet server heartbeated to this master; logs once when every known server has re-homed here. */
    void noteHeartbeat(String serverUuid) {
        if (leaderTerm < 0 || rehomedLogged || !catalogGroup.status().servesWrites()) {
            return;
        }
        rehomed.add(serverUuid);
        List<TabletServerRegistry.Entry> live = liveServers();
        if (live.stream().allMatch(entry -> rehomed.contains(entry.server().getUuid()))) {
            rehomedLogged = true;
            long now = System.nanoTime();
            Optional<GroupDriver.Failover> won = catalogGroup.lastFailover().filter(f -> f.term() == leaderTerm);
            if (won.isEmpty()) {
                LOG.info("failover of the catalog to {} in term {}: all {} live tablet servers re-homed {} ms after it began to serve",
                        self, leaderTerm, live.size(), TimeUnit.NANOSECONDS.toMillis(now - servingSinceNanos));
                return;
            }
            GroupDriver.Failover f = won.get();
            long rehomedNanos = now - f.servingSinceNanos();
            // The one line that splits a failover's unavailability into its four phases.
            LOG.info("failover of the catalog to {} in term {}: detection {} ms, election {} ms, leader ready {} ms,"
                            + " tablet servers re-homed {} ms ({} live), total {} ms", self, leaderTerm,
                    millis(f.detectionNanos()), millis(f.electionNanos()), millis(f.leaderReadyNanos()),
                    millis(rehomedNanos), live.size(),
                    millis(f.detectionNanos() + f.electionNanos() + f.leaderReadyNanos() + rehomedNanos));
            failoverListener.accept(f, rehomedNanos);
        }
    }

    long term() {
        return catalogGroup.status().term();
    }

    /** Tells {@code listener} of each failover this master wins: the phases, and the re-homing nanos. */
    void onFailover(java.util.function.ObjLongConsumer<GroupDriver.Failover> listener) {
        this.failoverListener = listener;
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    // ---------------------------------------------------------------- DDL

    CreateTableResponsePB createTable(CreateTableRequestPB request) {
        Optional<ErrorPB> refusal = leaderRefusal();
        if (refusal.isPresent()) {
            return CreateTableResponsePB.newBuilder().setError(refusal.get()).build();
        }
        synchronized (ddlLock) {
            Optional<RequestOutcomePB> first = request.hasRequestId()
                    ? catalog.read(state -> state.outcome(request.getRequestId())) : Optional.empty();
            if (first.isPresent()) {
                return first.get().hasError()
                        ? CreateTableResponsePB.newBuilder().setError(first.get().getError()).build()
                        : CreateTableResponsePB.newBuilder().setTableId(first.get().getTableId()).build();
            }
            Optional<ErrorPB> invalid = validate(request);
            if (invalid.isPresent()) {
                return CreateTableResponsePB.newBuilder().setError(invalid.get()).build();
            }
            if (catalog.read(state -> state.tableByName(request.getName())).isPresent()) {
                ErrorPB exists = Errors.of(Code.ALREADY_PRESENT, "a table named '" + request.getName() + "' exists");
                recordOutcome(request.hasRequestId() ? RequestOutcomePB.newBuilder()
                        .setRequestId(request.getRequestId()).setError(exists).build() : null);
                return CreateTableResponsePB.newBuilder().setError(exists).build();
            }
            int replicas = request.getNumReplicas() == 0 ? 3 : request.getNumReplicas();
            List<TabletServerRegistry.Entry> live = liveServers();
            if (live.size() < replicas) {
                return CreateTableResponsePB.newBuilder().setError(Errors.of(Code.SERVICE_UNAVAILABLE,
                        "table '" + request.getName() + "' needs " + replicas + " live tablet servers, "
                                + live.size() + " are live")).build();
            }
            String tableId = newId();
            // Column ids 1..n by position (Schema.fromPB) at schema version 0: the table's initial schema.
            Schema schema = Schema.fromPB(request.getSchema().toBuilder().setVersion(0).build());
            TableRecordPB table = TableRecordPB.newBuilder().setTableId(tableId).setName(request.getName())
                    .setSchema(schema.toPB()).setPartitionSchema(request.getPartitionSchema())
                    .setNumReplicas(replicas).setState(TableState.TABLE_CREATING).setVersion(1)
                    .setNextColumnId(schema.maxColumnId() + 1).setInitialSchema(schema.toPB()).build();
            CatalogOpPB.Builder op = CatalogOpPB.newBuilder().addUpsertTables(table);
            Map<String, Integer> load = new TreeMap<String, Integer>(catalog.<Map<String, Integer>>read(state -> state.replicasPerServer()));
            for (PartitionPB partition : PartitionSchema.fromPB(request.getPartitionSchema(), schema).partitions()) {
                List<String> placed = place(live, load, replicas);
                op.addUpsertTablets(TabletRecordPB.newBuilder().setTabletId(newId()).setTableId(tableId)
                        .setPartition(partition).addAllReplicas(placed).setState(TabletState.TABLET_CREATING));
            }
            if (request.hasRequestId()) {
                op.addOutcomes(RequestOutcomePB.newBuilder().setRequestId(request.getRequestId()).setTableId(tableId));
            }
            Optional<ErrorPB> failed = proposeAndWait(op.build());
            if (failed.isPresent()) {
                return CreateTableResponsePB.newBuilder().setError(failed.get()).build();
            }
            Optional<RequestOutcomePB> recorded = request.hasRequestId()
                    ? catalog.read(state -> state.outcome(request.getRequestId())) : Optional.empty();
            if (recorded.isPresent() && !recorded.get().getTableId().equals(tableId)) {
                // An earlier proposal of this request committed first, and ours was not applied
                // (CatalogState.apply): answer with the outcome that took effect.
                return recorded.get().hasError()
                        ? CreateTableResponsePB.newBuilder().setError(recorded.get().getError()).build()
                        : CreateTableResponsePB.newBuilder().setTableId(recorded.get().getTableId()).build();
            }
            LOG.info("created table {} ({}) with {} tablets", request.getName(), tableId, op.getUpsertTabletsCount());
            taskRoundSoon.run();
            return CreateTableResponsePB.newBuilder().setTableId(tableId).build();
        }
    }

    DeleteTableResponsePB deleteTable(DeleteTableRequestPB request) {
        Optional<ErrorPB> refusal = leaderRefusal();
        if (refusal.isPresent()) {
            return DeleteTableResponsePB.newBuilder().setError(refusal.get()).build();
        }
        synchronized (ddlLock) {
            awaitRunningCommit();
            Optional<RequestOutcomePB> first = request.hasRequestId()
                    ? catalog.read(state -> state.outcome(request.getRequestId())) : Optional.empty();
            if (first.isPresent()) {
                return first.get().hasError() ? DeleteTableResponsePB.newBuilder().setError(first.get().getError()).build()
                        : DeleteTableResponsePB.getDefaultInstance();
            }
            Optional<TableRecordPB> table = lookup(request.getTable());
            if (table.isEmpty() || table.get().getState() == TableState.TABLE_DELETING) {
                return DeleteTableResponsePB.newBuilder().setError(Errors.of(Code.NOT_FOUND,
                        "no table " + describe(request.getTable()))).build();
            }
            CatalogOpPB.Builder op = CatalogOpPB.newBuilder()
                    .addUpsertTables(table.get().toBuilder().setState(TableState.TABLE_DELETING)
                            .setVersion(table.get().getVersion() + 1));
            if (request.hasRequestId()) {
                op.addOutcomes(RequestOutcomePB.newBuilder().setRequestId(request.getRequestId())
                        .setTableId(table.get().getTableId()));
            }
            Optional<ErrorPB> failed = proposeAndWait(op.build());
            if (failed.isEmpty()) {
                LOG.info("deleting table {} ({})", table.get().getName(), table.get().getTableId());
            }
            return failed.map(error -> DeleteTableResponsePB.newBuilder().setError(error).build())
                    .orElse(DeleteTableResponsePB.getDefaultInstance());
        }
    }

    /**
     * Commits the table record that {@link AlterTablePlan} makes of the request (new schema version), then
     * lets the alter task replicate it into every tablet. A refusal that depends on the catalog (a name or
     * column that exists or not) is committed as the request's outcome, so a retry gets the same answer.
     */
    AlterTableResponsePB alterTable(AlterTableRequestPB request) {
        Optional<ErrorPB> refusal = leaderRefusal();
        if (refusal.isPresent()) {
            return AlterTableResponsePB.newBuilder().setError(refusal.get()).build();
        }
        synchronized (ddlLock) {
            awaitRunningCommit();
            Optional<RequestOutcomePB> first = request.hasRequestId()
                    ? catalog.read(state -> state.outcome(request.getRequestId())) : Optional.empty();
            if (first.isPresent()) {
                return alterResponse(first.get());
            }
            Optional<TableRecordPB> table = lookup(request.getTable());
            if (table.isEmpty() || table.get().getState() == TableState.TABLE_DELETING) {
                return AlterTableResponsePB.newBuilder().setError(Errors.of(Code.NOT_FOUND,
                        "no table " + describe(request.getTable()))).build();
            }
            TableRecordPB altered;
            try {
                altered = AlterTablePlan.apply(table.get(), request.getStepsList(), name -> catalog.read(
                        state -> state.tableByName(name)).isPresent());
            } catch (TabletException e) {
                ErrorPB error = Errors.of(e.code(), e.getMessage());
                recordOutcome(request.hasRequestId() ? RequestOutcomePB.newBuilder()
                        .setRequestId(request.getRequestId()).setError(error).build() : null);
                return AlterTableResponsePB.newBuilder().setError(error).build();
            }
            RequestOutcomePB.Builder outcome = RequestOutcomePB.newBuilder().setTableId(altered.getTableId())
                    .setSchemaVersion(altered.getSchema().getVersion());
            CatalogOpPB.Builder op = CatalogOpPB.newBuilder().addUpsertTables(altered);
            if (request.hasRequestId()) {
                op.addOutcomes(outcome.setRequestId(request.getRequestId()));
            }
            Optional<ErrorPB> failed = proposeAndWait(op.build());
            if (failed.isPresent()) {
                return AlterTableResponsePB.newBuilder().setError(failed.get()).build();
            }
            LOG.info("altered table {} ({}) to schema version {}", altered.getName(), altered.getTableId(),
                    altered.getSchema().getVersion());
            // With a request id: ours, or an earlier proposal of it that committed first (ours then did nothing).
            return alterResponse(request.hasRequestId()
                    ? catalog.read(state -> state.outcome(request.getRequestId())).orElse(outcome.build())
                    : outcome.build());
        }
    }

    private AlterTableResponsePB alterResponse(RequestOutcomePB outcome) {
        if (outcome.hasError()) {
            return AlterTableResponsePB.newBuilder().setError(outcome.getError()).build();
        }
        taskRoundSoon.run();
        return AlterTableResponsePB.newBuilder().setTableId(outcome.getTableId())
                .setSchemaVersion(outcome.getSchemaVersion()).build();
    }

    /** Done once the ready leader of every tablet of the table reports the table's schema version. */
    boolean isAlterDone(TableRecordPB table) {
        int version = table.getSchema().getVersion();
        for (TabletRecordPB tablet : tabletsOf(table.getTableId())) {
            Optional<TabletReportPB> leader = readyLeaderReport(tablet);
            if (leader.isEmpty() || leader.get().getTablet().getSchema().getVersion() < version) {
                return false;
            }
        }
        return true;
    }

    /** The report of the tablet's replica that leads it and is ready, at the highest term reported. */
    private Optional<TabletReportPB> readyLeaderReport(TabletRecordPB tablet) {
        Optional<TabletReportPB> best = Optional.empty();
        for (String replica : tablet.getReplicasList()) {
            Optional<TabletReportPB> report = report(replica, tablet.getTabletId());
            if (report.isPresent() && report.get().getConsensus().getRole().equals("leader")
                    && report.get().getConsensus().getLeaderReady() && (best.isEmpty()
                    || report.get().getConsensus().getTerm() > best.get().getConsensus().getTerm())) {
                best = report;
            }
        }
        return best;
    }

    private void recordOutcome(RequestOutcomePB outcome) {
        if (outcome != null) {
            proposeAndWait(CatalogOpPB.newBuilder().addOutcomes(outcome).build());
        }
    }

    private Optional<ErrorPB> validate(CreateTableRequestPB request) {
        if (request.getName().isBlank()) {
            return Optional.of(Errors.of(Code.INVALID_ARGUMENT, "a table needs a name"));
        }
        if (request.getNumReplicas() < 0 || request.getNumReplicas() % 2 == 0 && request.getNumReplicas() != 0) {
            return Optional.of(Errors.of(Code.INVALID_ARGUMENT, "num_replicas must be odd and positive, not "
                    + request.getNumReplicas()));
        }
        // Ids 1..n by position are what the master assigns anyway (and what Schema.toPB() writes), so a
        // schema built that way is accepted; any other id would be one the client chose.
        for (int i = 0; i < request.getSchema().getColumnsCount(); i++) {
            int id = request.getSchema().getColumns(i).getId();
            if (id != 0 && id != i + 1) {
                return Optional.of(Errors.of(Code.INVALID_ARGUMENT, "table '" + request.getName() + "': column '"
                        + request.getSchema().getColumns(i).getName() + "' sets id " + id
                        + "; column ids are assigned by the master, leave them 0"));
            }
        }
        try {
            Schema schema = Schema.fromPB(request.getSchema());
            PartitionSchema.fromPB(request.getPartitionSchema(), schema);
            return Optional.empty();
        } catch (TabletException e) {
            return Optional.of(Errors.of(Code.INVALID_ARGUMENT, e.getMessage()));
        }
    }

    /** The {@code count} live servers with the fewest replicas (ties by uuid), counting this placement too. */
    private static List<String> place(List<TabletServerRegistry.Entry> live, Map<String, Integer> load, int count) {
        List<String> candidates = new ArrayList<>();
        for (TabletServerRegistry.Entry entry : live) {
            candidates.add(entry.server().getUuid());
        }
        candidates.sort(Comparator.comparing((String uuid) -> load.getOrDefault(uuid, 0)).thenComparing(uuid -> uuid));
        List<String> placed = new ArrayList<>(candidates.subList(0, count));
        for (String uuid : placed) {
            load.merge(uuid, 1, Integer::sum);
        }
        return placed;
    }

    /** Proposes a catalog op and waits until it is applied here; an error when it will not be. */
    private Optional<ErrorPB> proposeAndWait(CatalogOpPB op) {
        return awaitApplied(catalogGroup.propose(op.toByteString()));
    }

    /** Waits until a proposed catalog op is applied here; an error when it will not be. */
    private Optional<ErrorPB> awaitApplied(CompletableFuture<Object> proposal) {
        try {
            proposal.get(COMMIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return Optional.empty();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ProposalRefusedException refused) {
                return Optional.of(refused.getMessage().startsWith("lost to")
                        ? Errors.of(Code.ABORTED, "the catalog change was not applied: " + refused.getMessage())
                        : Errors.notTheLeader("the catalog", refused.leaderHint(), masterPeers));
            }
            return Optional.of(Errors.of(Code.SERVICE_UNAVAILABLE, "the catalog change failed: " + e.getCause()));
        } catch (TimeoutException e) {
            return Optional.of(Errors.of(Code.TIMED_OUT, "the catalog change did not commit within "
                    + COMMIT_TIMEOUT_MS + " ms; it may still"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(Errors.of(Code.SERVICE_UNAVAILABLE, "interrupted"));
        }
    }

    // ---------------------------------------------------------------- lookups

    Optional<TableRecordPB> lookup(TableIdentifierPB table) {
        if (!table.getTableId().isEmpty()) {
            return catalog.read(state -> state.tableById(table.getTableId()));
        }
        return catalog.read(state -> state.tableByName(table.getName()));
    }

    List<TableRecordPB> lookupAll() {
        return catalog.read(state -> state.tables());
    }

    static String describe(TableIdentifierPB table) {
        return table.getTableId().isEmpty() ? "named '" + table.getName() + "'" : "with id " + table.getTableId();
    }

    List<TabletRecordPB> tabletsOf(String tableId) {
        return catalog.read(state -> state.tabletsOf(tableId));
    }

    /** The replica of {@code tabletId} on {@code serverUuid}, as that server last reported it. */
    Optional<TabletReportPB> report(String serverUuid, String tabletId) {
        return tabletServers.report(serverUuid, tabletId);
    }

    Optional<PeerPB> server(String uuid) {
        return tabletServers.get(uuid).map(TabletServerRegistry.Entry::server);
    }

    List<TabletServerRegistry.Entry> liveServers() {
        return tabletServers.live(System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(options.tserverUnresponsiveMs()));
    }

    /**
     * A table is done creating once every tablet has a leader that serves: RUNNING in the catalog, or
     * CREATING with every tablet's leader reported to this master already. The second half answers before
     * the RUNNING commit (one more catalog round trip) lands; that commit records a fact, it enables nothing.
     */
    boolean isCreateDone(TableRecordPB table) {
        return table.getState() == TableState.TABLE_RUNNING
                || (table.getState() == TableState.TABLE_CREATING && everyTabletLed(tabletsOf(table.getTableId())));
    }

    /**
     * The state callers are shown: RUNNING as soon as the table is usable ({@link #isCreateDone}), even
     * before the RUNNING commit records it, so a client told the table is created never lists it CREATING.
     */
    TableState visibleState(TableRecordPB table) {
        return table.getState() == TableState.TABLE_CREATING && isCreateDone(table) ? TableState.TABLE_RUNNING
                : table.getState();
    }

    /**
     * Completes once the table is done creating (or gone), or after {@code waitMs}: IsCreateTableDone's
     * long poll, released by the heartbeat that reports the last tablet's leader ready.
     */
    CompletableFuture<Void> awaitCreateDone(TableIdentifierPB table, long waitMs) {
        return createWaiters.await(() -> lookup(table).map(this::isCreateDone).orElse(true), waitMs);
    }

    private boolean everyTabletLed(List<TabletRecordPB> tablets) {
        if (tablets.isEmpty()) {
            return false;
        }
        for (TabletRecordPB tablet : tablets) {
            boolean led = tablet.getReplicasList().stream().map(replica -> report(replica, tablet.getTabletId()))
                    .anyMatch(report -> report.isPresent() && report.get().getConsensus().getRole().equals("leader")
                            && report.get().getConsensus().getLeaderReady());
            if (!led) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- tasks on tablet servers

    /** One round of the DDL tasks; the leader runs it every few milliseconds. Idempotent. */
    void runTasks() {
        if (leaderRefusal().isPresent()) {
            return;
        }
        maybeUpdateMasterAddressBook();
        List<TableRecordPB> led = new ArrayList<>();
        long now = System.nanoTime();
        Sweep sweep = null;
        if (now - lastSweepNanos >= SWEEP_INTERVAL_NANOS) {
            lastSweepNanos = now;
            sweep = new Sweep(tabletServers.live(now, TimeUnit.MILLISECONDS.toNanos(options.tserverDeadMs())).stream()
                    .map(entry -> entry.server().getUuid()).collect(java.util.stream.Collectors.toSet()));
        }
        for (TableRecordPB table : catalog.read(state -> state.tables())) {
            switch (table.getState()) {
                case TABLE_CREATING -> {
                    if (driveCreation(table)) {
                        led.add(table);
                    }
                    driveAlter(table);
                }
                case TABLE_DELETING -> driveDeletion(table);
                case TABLE_RUNNING -> {
                    if (sweep != null) {
                        Sweep current = sweep;
                        tabletsOf(table.getTableId()).forEach(tablet -> driveReplacement(table, tablet, current));
                    }
                    driveAlter(table);
                }
                default -> { }
            }
        }
        markRunning(led);
        if (sweep != null) {
            deleteOrphans();
        }
    }

    /** What one sweep computes once instead of once per tablet. */
    private final class Sweep {
        /** Servers heard from within the dead timeout. */
        final java.util.Set<String> live;
        private Map<String, Integer> load;

        Sweep(java.util.Set<String> live) {
            this.live = live;
        }

        /** Replicas per server, for placing a replacement; computed on first need. */
        int load(String uuid) {
            if (load == null) {
                load = catalog.read(state -> state.replicasPerServer());
            }
            return load.getOrDefault(uuid, 0);
        }
    }

    /**
     * Deletes every replica a live tablet server reports for a tablet the catalog does not have. A deletion
     * finishes without the replicas of servers that were dead at the time; this is where they get deleted
     * once their server is back. Safe against races with creation: a tablet's record commits before any
     * replica of it is created, and is removed only after its replicas are deleted or their server is dead.
     */
    private void deleteOrphans() {
        for (TabletServerRegistry.Entry server : liveServers()) {
            List<String> unknown = catalog.read(state -> server.tablets().keySet().stream()
                    .filter(tabletId -> state.tablet(tabletId).isEmpty()).toList());
            for (String tabletId : unknown) {
                String key = tabletId + "/" + server.server().getUuid();
                if (!due(key)) {
                    continue;
                }
                LOG.info("tablet server {} hosts tablet {}, which the catalog does not have: deleting it",
                        server.server().getUuid(), tabletId);
                DeleteTabletRequestPB request = DeleteTabletRequestPB.newBuilder().setTabletId(tabletId)
                        .setMasterTerm(leaderTerm).build();
                stub(server.server()).deleteTablet(request, new LoggingObserver<>("delete orphan " + key));
            }
        }
    }

    /**
     * Replaces the replicas of dead tablet servers, one step per round, each step derived afresh from what
     * the tablet's leader reports (so a new master leader resumes where the old one stopped): create an
     * empty replica on a live server that has none, add it as a learner, promote it once it has caught up
     * (the leader refuses before), remove the dead replica, and record the group's voters in the catalog.
     */
    private void driveReplacement(TableRecordPB table, TabletRecordPB tablet, Sweep sweep) {
        Optional<TabletReportPB> leaderReport = Optional.empty();
        String leaderUuid = null;
        for (String replica : tablet.getReplicasList()) {
            Optional<TabletReportPB> report = report(replica, tablet.getTabletId());
            if (report.isPresent() && report.get().getConsensus().getRole().equals("leader")
                    && report.get().getConsensus().getLeaderReady()) {
                leaderReport = report;
                leaderUuid = replica;
            }
        }
        if (leaderReport.isEmpty()) {
            return;
        }
        basalt.proto.MembershipPB membership = leaderReport.get().getConsensus().getMembership();
        java.util.Set<String> live = sweep.live;
        Optional<String> deadVoter = membership.getVotersList().stream().filter(v -> !live.contains(v)).findFirst();
        String leader = leaderUuid;
        if (!membership.getLearnersList().isEmpty()) {
            changeMembership(leader, tablet, basalt.proto.ChangeMembershipRequestPB.Kind.PROMOTE_LEARNER,
                    membership.getLearners(0));
        } else if (deadVoter.isPresent() && membership.getVotersCount() > table.getNumReplicas()) {
            changeMembership(leader, tablet, basalt.proto.ChangeMembershipRequestPB.Kind.REMOVE_MEMBER, deadVoter.get());
        } else if (deadVoter.isPresent()) {
            Optional<String> target = live.stream().filter(uuid -> !membership.getVotersList().contains(uuid))
                    .min(Comparator.comparing(sweep::load).thenComparing(uuid -> uuid));
            if (target.isPresent()) {
                if (report(target.get(), tablet.getTabletId()).isEmpty()) {
                    sendCreateEmpty(table, tablet, target.get());
                } else {
                    changeMembership(leader, tablet, basalt.proto.ChangeMembershipRequestPB.Kind.ADD_LEARNER, target.get());
                }
            }
        } else if (!new java.util.TreeSet<>(membership.getVotersList()).equals(new java.util.TreeSet<>(tablet.getReplicasList()))) {
            synchronized (ddlLock) {
                proposeAndWait(CatalogOpPB.newBuilder().addUpsertTablets(tablet.toBuilder().clearReplicas()
                        .addAllReplicas(membership.getVotersList())).build());
            }
            LOG.info("tablet {} now has replicas {}", tablet.getTabletId(), membership.getVotersList());
        }
    }

    /**
     * Sends the table's schema to the leader of every tablet whose leader reports an older version; the
     * leader replicates it through the tablet's log. Derived from the catalog and reports alone, so a new
     * master leader resumes it, and repeating it is harmless (a tablet at the version answers at once).
     */
    private void driveAlter(TableRecordPB table) {
        int version = table.getSchema().getVersion();
        if (version == 0) {
            return;
        }
        for (TabletRecordPB tablet : tabletsOf(table.getTableId())) {
            Optional<TabletReportPB> leader = readyLeaderReport(tablet);
            if (leader.isEmpty() || leader.get().getTablet().getSchema().getVersion() >= version) {
                continue;
            }
            Optional<PeerPB> server = server(leader.get().getConsensus().getSelf());
            if (server.isEmpty() || !due(tablet.getTabletId() + "/alter/" + version + "/" + server.get().getUuid())) {
                continue;
            }
            stub(server.get()).alterSchema(AlterSchemaRequestPB.newBuilder().setTabletId(tablet.getTabletId())
                    .setSchema(table.getSchema()).setTableName(table.getName()).setMasterTerm(leaderTerm).build(),
                    new LoggingObserver<>("alter tablet " + tablet.getTabletId() + " to schema version " + version));
        }
    }

    /**
     * The metadata a new replica of the tablet starts with: the table's initial schema (version 0), so
     * that replaying the tablet's log from its first entry, schema changes included, takes it through the
     * same schemas as every other replica; a tablet copy brings the current metadata instead.
     */
    private static TabletMetadataPB initialMetadata(TableRecordPB table, TabletRecordPB tablet) {
        Schema current = Schema.fromPB(table.getSchema());
        Schema initial = table.hasInitialSchema() ? Schema.fromPB(table.getInitialSchema()) : current;
        return TabletMetadataPB.newBuilder().setTabletId(tablet.getTabletId()).setTableId(table.getTableId())
                .setTableName(table.getName()).setSchema(initial.toPB())
                .setPartitionSchema(SchemaEvolution.renameColumns(table.getPartitionSchema(), current, initial))
                .setPartition(tablet.getPartition()).build();
    }

    /** Creates an empty replica that joins the tablet's group when the leader adds it. */
    private void sendCreateEmpty(TableRecordPB table, TabletRecordPB tablet, String serverUuid) {
        Optional<PeerPB> server = server(serverUuid);
        if (server.isEmpty() || !due(tablet.getTabletId() + "/" + serverUuid)) {
            return;
        }
        TabletMetadataPB metadata = initialMetadata(table, tablet);
        List<PeerPB> members = new ArrayList<>();
        for (String uuid : tablet.getReplicasList()) {
            server(uuid).ifPresent(members::add);
        }
        stub(server.get()).createTablet(CreateTabletRequestPB.newBuilder().setTablet(metadata).setMasterTerm(leaderTerm)
                .addAllKnownPeers(members).build(), new LoggingObserver<>("create replacement replica of " + tablet.getTabletId() + " on " + serverUuid));
        LOG.info("replacing a dead replica of tablet {}: new replica on {}", tablet.getTabletId(), serverUuid);
    }

    private void changeMembership(String leaderUuid, TabletRecordPB tablet, basalt.proto.ChangeMembershipRequestPB.Kind kind,
                                  String peerUuid) {
        Optional<PeerPB> leader = server(leaderUuid);
        Optional<PeerPB> peer = server(peerUuid);
        if (leader.isEmpty() || !due(tablet.getTabletId() + "/" + kind + "/" + peerUuid)) {
            return;
        }
        PeerPB target = peer.orElse(PeerPB.newBuilder().setUuid(peerUuid).build());
        HostPort address = new HostPort(leader.get().getAddress().getHost(), leader.get().getAddress().getPort());
        ManagedChannel channel = channels.computeIfAbsent(address, a -> NettyChannelBuilder
                .forAddress(a.host(), a.port()).usePlaintext().build());
        basalt.proto.ConsensusServiceGrpc.newStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).changeMembership(
                basalt.proto.ChangeMembershipRequestPB.newBuilder().setGroupId(tablet.getTabletId()).setKind(kind)
                        .setPeer(target).build(),
                new LoggingObserver<>(kind + " " + peerUuid + " in tablet " + tablet.getTabletId()));
    }

    /**
     * Keeps the replicated address book equal to the catalog group's membership, so every master and,
     * through heartbeats, every tablet server learns where added masters are and forgets removed ones.
     */
    private void maybeUpdateMasterAddressBook() {
        basalt.consensus.core.Membership membership = catalogGroup.status().membership();
        TreeMap<String, PeerPB> wanted = new TreeMap<>();
        for (NodeId member : membership.members()) {
            Optional<HostPort> address = member.equals(self) ? Optional.of(options.rpcBind()) : masterPeers.lookup(member);
            if (address.isEmpty()) {
                return; // not every member's address is known here yet
            }
            wanted.put(member.value(), PeerPB.newBuilder().setUuid(member.value())
                    .setAddress(Errors.toProto(address.get())).build());
        }
        if (!wanted.equals(new TreeMap<>(catalog.<Map<String, PeerPB>>read(state -> state.masterAddresses())))) {
            synchronized (ddlLock) {
                proposeAndWait(CatalogOpPB.newBuilder().setMasterAddressBook(
                        basalt.proto.MasterAddressBookPB.newBuilder().addAllMasters(wanted.values())).build());
            }
        }
    }

    /** Creates the replicas not reported yet; true once every tablet of the table has a serving leader. */
    private boolean driveCreation(TableRecordPB table) {
        List<TabletRecordPB> tablets = tabletsOf(table.getTableId());
        for (TabletRecordPB tablet : tablets) {
            for (String replica : tablet.getReplicasList()) {
                if (report(replica, tablet.getTabletId()).isEmpty()) {
                    sendCreate(table, tablet, replica);
                }
            }
        }
        return everyTabletLed(tablets);
    }

    /**
     * Records RUNNING for tables whose tablets all lead, in one catalog write after the round sent its
     * creates: waiting for a commit per table would hold the next table's CreateTablet calls behind it.
     */
    private void markRunning(List<TableRecordPB> tables) {
        if (tables.isEmpty()) {
            return;
        }
        CompletableFuture<Object> committed;
        List<String> names = new ArrayList<>();
        synchronized (ddlLock) {
            CatalogOpPB.Builder op = CatalogOpPB.newBuilder();
            for (TableRecordPB table : tables) {
                Optional<TableRecordPB> now = catalog.read(state -> state.tableById(table.getTableId()));
                if (now.isPresent() && now.get().getState() == TableState.TABLE_CREATING) {
                    op.addUpsertTables(now.get().toBuilder().setState(TableState.TABLE_RUNNING));
                    for (TabletRecordPB tablet : tabletsOf(table.getTableId())) {
                        op.addUpsertTablets(tablet.toBuilder().setState(TabletState.TABLET_RUNNING));
                    }
                    names.add(table.getName() + " (" + table.getTableId() + ")");
                }
            }
            if (names.isEmpty()) {
                return;
            }
            // Proposed under the lock, so it takes its place in the log among the other DDL, but awaited
            // outside it: RUNNING changes no name and no outcome, so the next CreateTable (whose client
            // may already know the table is usable) need not wait behind this commit. An alter or delete
            // does wait for it (awaitRunningCommit), since it rewrites the record this one replaces.
            committed = catalogGroup.propose(op.build().toByteString());
            runningCommit = committed;
        }
        if (awaitApplied(committed).isEmpty()) {
            names.forEach(name -> LOG.info("table {} is running", name));
        }
    }

    /** Waits (bounded) for the task thread's last RUNNING commit; its outcome does not matter here. */
    private void awaitRunningCommit() {
        awaitApplied(runningCommit);
    }

    private void sendCreate(TableRecordPB table, TabletRecordPB tablet, String replica) {
        Optional<PeerPB> server = server(replica);
        if (server.isEmpty() || !due(tablet.getTabletId() + "/" + replica)) {
            return; // not heard from yet (just elected): the next round tries again
        }
        List<PeerPB> peers = new ArrayList<>();
        for (String uuid : tablet.getReplicasList()) {
            Optional<PeerPB> peer = server(uuid);
            if (peer.isEmpty()) {
                return; // every peer's address must be known to start the group
            }
            peers.add(peer.get());
        }
        TabletMetadataPB metadata = initialMetadata(table, tablet);
        // The first replica of the committed record leads term 1 without an election; every CreateTablet of
        // this tablet, from any master term, names the same one because the tablet record does not change
        // while the table is CREATING (an alter changes only the table record).
        CreateTabletRequestPB request = CreateTabletRequestPB.newBuilder().setTablet(metadata).addAllPeers(peers)
                .setMasterTerm(leaderTerm).setFirstTermLeader(tablet.getReplicas(0)).build();
        stub(server.get()).createTablet(request, new LoggingObserver<>("create tablet " + tablet.getTabletId()
                + " on " + replica));
    }

    private void driveDeletion(TableRecordPB table) {
        List<TabletRecordPB> tablets = tabletsOf(table.getTableId());
        boolean allGone = true;
        List<String> live = liveServers().stream().map(entry -> entry.server().getUuid()).toList();
        for (TabletRecordPB tablet : tablets) {
            for (String replica : tablet.getReplicasList()) {
                String key = tablet.getTabletId() + "/" + replica;
                if (deletionConfirmed.containsKey(key) || !live.contains(replica)) {
                    continue; // deleted, or its server is dead: deleteOrphans() tells it when it returns
                }
                allGone = false;
                Optional<PeerPB> server = server(replica);
                if (server.isPresent() && due(key)) {
                    DeleteTabletRequestPB request = DeleteTabletRequestPB.newBuilder()
                            .setTabletId(tablet.getTabletId()).setMasterTerm(leaderTerm).build();
                    stub(server.get()).deleteTablet(request, new io.grpc.stub.StreamObserver<>() {
                        @Override
                        public void onNext(basalt.proto.DeleteTabletResponsePB response) {
                            if (!response.hasError() || response.getError().getCode() == Code.TABLET_NOT_FOUND) {
                                deletionConfirmed.put(key, true);
                            }
                        }

                        @Override
                        public void onError(Throwable failure) {
                            LOG.debug("delete tablet {} failed: {}", key, failure.toString());
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
                }
            }
        }
        if (allGone) {
            synchronized (ddlLock) {
                CatalogOpPB.Builder op = CatalogOpPB.newBuilder().addRemoveTables(table.getTableId());
                tablets.forEach(tablet -> op.addRemoveTablets(tablet.getTabletId()));
                proposeAndWait(op.build());
                LOG.info("table {} ({}) is deleted", table.getName(), table.getTableId());
            }
        }
    }

    private boolean due(String key) {
        long now = System.nanoTime();
        Long last = lastAttemptNanos.get(key);
        if (last != null && now - last < TASK_RETRY_NANOS) {
            return false;
        }
        lastAttemptNanos.put(key, now);
        return true;
    }

    private TabletServerServiceGrpc.TabletServerServiceStub stub(PeerPB server) {
        HostPort address = new HostPort(server.getAddress().getHost(), server.getAddress().getPort());
        ManagedChannel channel = channels.computeIfAbsent(address, a -> NettyChannelBuilder
                .forAddress(a.host(), a.port()).usePlaintext().build());
        return TabletServerServiceGrpc.newStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    private static String newId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }

    /** Logs failures of fire-and-forget commands; the next task round retries them. */
    private static final class LoggingObserver<T> implements io.grpc.stub.StreamObserver<T> {
        private final String what;

        LoggingObserver(String what) {
            this.what = what;
        }

        @Override
        public void onNext(T value) {
        }

        @Override
        public void onError(Throwable failure) {
            LOG.debug("{} failed: {}", what, failure.toString());
        }

        @Override
        public void onCompleted() {
        }
    }
}
