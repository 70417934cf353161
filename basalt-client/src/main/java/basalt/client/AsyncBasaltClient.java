package basalt.client;

import basalt.client.meta.MasterLocator;
import basalt.client.meta.MetaCache;
import basalt.client.meta.TableLocations;
import basalt.client.meta.TabletLeaderCaller;
import basalt.client.rpc.Backoff;
import basalt.client.rpc.Channels;
import basalt.client.rpc.Deadline;
import basalt.client.rpc.Outcome;
import basalt.client.rpc.RequestTracker;
import basalt.client.rpc.Retrier;
import basalt.common.net.HostPort;
import basalt.common.time.Clock;
import basalt.proto.AlterTableRequestPB;
import basalt.proto.AlterTableResponsePB;
import basalt.proto.CreateTableRequestPB;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.DeleteTableRequestPB;
import basalt.proto.DeleteTableResponsePB;
import basalt.proto.ErrorPB;
import basalt.proto.GetTableSchemaRequestPB;
import basalt.proto.GetTableSchemaResponsePB;
import basalt.proto.IsAlterTableDoneRequestPB;
import basalt.proto.IsAlterTableDoneResponsePB;
import basalt.proto.IsCreateTableDoneRequestPB;
import basalt.proto.IsCreateTableDoneResponsePB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListMastersResponsePB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.ListTabletServersRequestPB;
import basalt.proto.ListTabletServersResponsePB;
import basalt.proto.RequestIdPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The asynchronous client: every call returns a CompletableFuture that completes with the answer, or
 * exceptionally with a {@link BasaltException} (TIMED_OUT at the deadline, or the server's final error).
 * Failover behaves as {@link BasaltClient} describes. Thread-safe; one per application is enough. Make one
 * with {@link BasaltClient#builder}{@code .buildAsync()}.
 */
public final class AsyncBasaltClient implements AutoCloseable {
    /** How long the master may hold an IsCreateTableDone answer for a table that is not usable yet. */
    private static final long CREATE_WAIT_MS = 500;
    private final ClientOptions options;
    private final Clock clock = Clock.SYSTEM;
    private final Channels channels = new Channels();
    private final ScheduledThreadPoolExecutor scheduler;
    private final Retrier retrier;
    private final MasterLocator masters;
    private final MetaCache metaCache;
    private final TabletLeaderCaller tablets;
    private final RequestTracker requests = new RequestTracker(UUID.randomUUID().toString());

    AsyncBasaltClient(ClientOptions options) {
        this.options = options;
        AtomicInteger threadNumber = new AtomicInteger();
        this.scheduler = new ScheduledThreadPoolExecutor(options.workerThreads(), task -> {
            Thread thread = new Thread(task, "basalt-client-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.scheduler.setRemoveOnCancelPolicy(true);
        Retrier retrier = new Retrier(scheduler, new Backoff(5, 50, new SplittableRandom()));
        this.masters = new MasterLocator(options.masters(), channels, retrier, options.attemptTimeout());
        this.metaCache = new MetaCache(masters);
        this.tablets = new TabletLeaderCaller(metaCache, channels, retrier, options.attemptTimeout());
        this.retrier = retrier;
    }

    public Duration defaultOperationTimeout() {
        return options.operationTimeout();
    }

    /** This client's id in request ids (exactly-once writes and DDL). */
    /**
     * How many attempts this client started again because the previous one should be retried (a leader
     * moved, a server was busy or unreachable): the retries its callers never saw, unless a deadline passed.
     */
    public long retries() {
        return retrier.retries();
    }

    public String clientId() {
        return requests.clientId();
    }

    /** Masters this client knows: the ones it was given and those the cluster named since. */
    public List<HostPort> knownMasters() {
        return masters.knownMasters();
    }

    /**
     * Creates a table and completes once it is usable (every tablet created: IsCreateTableDone). The request
     * carries a request id that every retry reuses, so a retry after a lost answer gets the first outcome
     * (success), never "already exists" for the table this call created.
     */
    public CompletableFuture<BasaltTable> createTable(String name, Schema schema, CreateTableOptions tableOptions) {
        Deadline deadline = newDeadline();
        CreateTableRequestPB.Builder builder = CreateTableRequestPB.newBuilder().setName(name).setSchema(schema.toPB())
                .setPartitionSchema(tableOptions.toPB(schema)).setNumReplicas(tableOptions.numReplicas());
        // Only a request that will be sent gets an id: an id never completed would hold every server's mark back.
        RequestIdPB requestId = requests.newRequest();
        CreateTableRequestPB request = builder.setRequestId(requestId).build();
        CompletableFuture<BasaltTable> created = masters.<CreateTableResponsePB>call("create table " + name, deadline,
                        (stub, observer) -> stub.createTable(request, observer), response -> errorOf(response.hasError(),
                                response.getError()))
                .thenCompose(response -> awaitCreated(name, response.getTableId(), deadline))
                .thenCompose(tableId -> openTable(TableIdentifierPB.newBuilder().setTableId(tableId).build(), deadline));
        return created.whenComplete((table, failure) -> requests.complete(requestId));
    }

    private CompletableFuture<String> awaitCreated(String name, String tableId, Deadline deadline) {
        IsCreateTableDoneRequestPB.Builder request = IsCreateTableDoneRequestPB.newBuilder()
                .setTable(TableIdentifierPB.newBuilder().setTableId(tableId));
        // The master holds each answer until the table is usable or the wait ends (a long poll), so the
        // client learns at once instead of after its back-off; the wait stays well inside the attempt's
        // deadline, so a held answer is never mistaken for a dead master.
        return retrier.run("wait for table " + name + " to be created", deadline, () -> masters
                .<IsCreateTableDoneResponsePB>call("is table " + name + " created", deadline,
                        (stub, observer) -> stub.isCreateTableDone(request.setWaitMs((int) Math.min(CREATE_WAIT_MS,
                                deadline.attemptMillis(options.attemptTimeout()) / 2)).build(), observer),
                        response -> errorOf(response.hasError(), response.getError()))
                .thenApply(response -> response.getDone() ? Outcome.done(tableId)
                        : Outcome.<String>retryLater("table " + name + " is still being created")));
    }

    /** Deletes a table; retries reuse the request id, so a retry after a lost answer succeeds too. */
    public CompletableFuture<Void> deleteTable(String name) {
        Deadline deadline = newDeadline();
        RequestIdPB requestId = requests.newRequest();
        DeleteTableRequestPB request = DeleteTableRequestPB.newBuilder()
                .setTable(TableIdentifierPB.newBuilder().setName(name)).setRequestId(requestId).build();
        return masters.<DeleteTableResponsePB>call("delete table " + name, deadline,
                        (stub, observer) -> stub.deleteTable(request, observer),
                        response -> errorOf(response.hasError(), response.getError()))
                .whenComplete((response, failure) -> requests.complete(requestId))
                .thenApply(response -> null);
    }

    /**
     * Alters a table and completes, with the table as it is now, once every tablet runs the new schema
     * (IsAlterTableDone). Like createTable, the request id is reused by every retry, so a retry after a
     * lost answer gets the first outcome and the changes apply once. Tables opened before keep the old
     * schema: their writes fail with SCHEMA_MISMATCH until reopened (see {@link Session}).
     */
    public CompletableFuture<BasaltTable> alterTable(String name, AlterTableOptions alter) {
        if (alter.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "alter table " + name + ": no change given; add at least one to the AlterTableOptions"));
        }
        Deadline deadline = newDeadline();
        RequestIdPB requestId = requests.newRequest();
        AlterTableRequestPB request = AlterTableRequestPB.newBuilder()
                .setTable(TableIdentifierPB.newBuilder().setName(name)).addAllSteps(alter.steps())
                .setRequestId(requestId).build();
        CompletableFuture<BasaltTable> altered = masters.<AlterTableResponsePB>call("alter table " + name, deadline,
                        (stub, observer) -> stub.alterTable(request, observer),
                        response -> errorOf(response.hasError(), response.getError()))
                .thenCompose(response -> awaitAltered(name, response.getTableId(), response.getSchemaVersion(), deadline))
                .thenCompose(tableId -> openTable(TableIdentifierPB.newBuilder().setTableId(tableId).build(), deadline));
        return altered.whenComplete((table, failure) -> requests.complete(requestId));
    }

    private CompletableFuture<String> awaitAltered(String name, String tableId, int schemaVersion, Deadline deadline) {
        IsAlterTableDoneRequestPB request = IsAlterTableDoneRequestPB.newBuilder()
                .setTable(TableIdentifierPB.newBuilder().setTableId(tableId)).build();
        // A later alter by someone else also finishes ours: done at a version at least ours is enough.
        return retrier.run("wait for the alter of table " + name, deadline, () -> masters
                .<IsAlterTableDoneResponsePB>call("is the alter of table " + name + " done", deadline,
                        (stub, observer) -> stub.isAlterTableDone(request, observer),
                        response -> errorOf(response.hasError(), response.getError()))
                .thenApply(response -> response.getDone() && response.getSchemaVersion() >= schemaVersion
                        ? Outcome.done(tableId)
                        : Outcome.<String>retryLater("tablets of table " + name + " do not all run schema version "
                        + schemaVersion + " yet")));
    }

    public CompletableFuture<BasaltTable> openTable(String name) {
        return openTable(TableIdentifierPB.newBuilder().setName(name).build(), newDeadline());
    }

    private CompletableFuture<BasaltTable> openTable(TableIdentifierPB table, Deadline deadline) {
        GetTableSchemaRequestPB request = GetTableSchemaRequestPB.newBuilder().setTable(table).build();
        return masters.<GetTableSchemaResponsePB>call("open table " + describe(table), deadline,
                        (stub, observer) -> stub.getTableSchema(request, observer),
                        response -> errorOf(response.hasError(), response.getError()))
                .thenApply(response -> new BasaltTable(this, response.getTable()));
    }

    public CompletableFuture<List<TableInfo>> listTables() {
        return masters.<ListTablesResponsePB>call("list tables", newDeadline(),
                        (stub, observer) -> stub.listTables(ListTablesRequestPB.getDefaultInstance(), observer),
                        response -> errorOf(response.hasError(), response.getError()))
                .thenApply(response -> response.getTablesList().stream()
                        .map(t -> new TableInfo(t.getTableId(), t.getName(), t.getNumTablets(), t.getState())).toList());
    }

    public CompletableFuture<List<TabletServerInfo>> listTabletServers() {
        return masters.<ListTabletServersResponsePB>call("list tablet servers", newDeadline(),
                        (stub, observer) -> stub.listTabletServers(ListTabletServersRequestPB.getDefaultInstance(), observer),
                        response -> errorOf(response.hasError(), response.getError()))
                .thenApply(response -> response.getServersList().stream()
                        .map(s -> new TabletServerInfo(s.getServer().getUuid(),
                                s.getServer().hasAddress() ? Optional.of(address(s.getServer().getAddress())) : Optional.empty(),
                                s.getLive(), s.getMillisSinceHeartbeat(), s.getReplicas())).toList());
    }

    /** The masters with their roles, as the leader master sees them. */
    public CompletableFuture<List<MasterInfo>> listMasters() {
        return masters.<ListMastersResponsePB>call("list masters", newDeadline(),
                        (stub, observer) -> stub.listMasters(ListMastersRequestPB.getDefaultInstance(), observer),
                        response -> errorOf(response.hasError(), response.getError()))
                .thenApply(response -> response.getMastersList().stream()
                        .map(m -> new MasterInfo(m.getUuid(),
                                m.hasRpcAddress() ? Optional.of(address(m.getRpcAddress())) : Optional.empty(),
                                m.getRole(), m.getTerm())).toList());
    }

    // ---- used by sessions and scanners ----

    Deadline newDeadline() {
        return newDeadline(options.operationTimeout());
    }

    Deadline newDeadline(Duration timeout) {
        return Deadline.after(clock, timeout);
    }

    RequestTracker requests() {
        return requests;
    }

    ScheduledThreadPoolExecutor scheduler() {
        return scheduler;
    }

    CompletableFuture<TableLocations> locations(String tableId, Deadline deadline) {
        return metaCache.locations(tableId, deadline);
    }

    /**
     * Writes a batch of operations to one tablet's leader. Every attempt carries {@code requestId} (with the
     * current lowest sequence in flight), so the tablet applies the batch once however often it is retried.
     * {@code rows} is a request holding only the batch's rows ({@link PackedBatch}), encoded by the column
     * indexes of {@code schemaVersion}, which the request names so a tablet on another version refuses the
     * batch whole (SCHEMA_MISMATCH, final) instead of misreading it; the rest is set here.
     */
    CompletableFuture<WriteResponsePB> write(String tableId, String tabletId, int schemaVersion, WriteRequestPB rows,
                                             int rowCount, RequestIdPB requestId, Deadline deadline) {
        WriteRequestPB base = rows.toBuilder().setTabletId(tabletId).setSchemaVersion(schemaVersion).build();
        return tablets.<WriteResponsePB>call("write " + rowCount + " rows to tablet " + tabletId, tableId,
                tabletId, deadline,
                (stub, observer) -> stub.write(base.toBuilder().setRequestId(requests.forAttempt(requestId)).build(),
                        observer),
                response -> errorOf(response.hasError(), response.getError()));
    }

    CompletableFuture<ScanResponsePB> scan(String tableId, ScanRequestPB request, Deadline deadline) {
        return tablets.<ScanResponsePB>call("scan tablet " + request.getTabletId(), tableId, request.getTabletId(),
                deadline, (stub, observer) -> stub.scan(request, observer),
                response -> errorOf(response.hasError(), response.getError()));
    }

    private static Optional<ErrorPB> errorOf(boolean hasError, ErrorPB error) {
        return hasError ? Optional.of(error) : Optional.empty();
    }

    private static HostPort address(basalt.proto.HostPortPB address) {
        return new HostPort(address.getHost(), address.getPort());
    }

    private static String describe(TableIdentifierPB table) {
        return table.getName().isEmpty() ? "with id " + table.getTableId() : table.getName();
    }

    /** Closes every connection and stops the timers; calls still running fail. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        channels.close();
    }
}
