package basalt.client;

import basalt.client.meta.TableLocations;
import basalt.client.meta.TabletLocation;
import basalt.client.partition.PartitionRouter;
import basalt.client.rpc.Deadline;
import basalt.proto.Code;
import basalt.proto.RequestIdPB;
import basalt.proto.RowErrorPB;
import basalt.proto.WriteResponsePB;
import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Applies operations to tables, in one of three flush modes:
 * <ul>
 *   <li>{@link FlushMode#AUTO_FLUSH_SYNC} (default): {@link #apply} sends the operation and returns its
 *       outcome.</li>
 *   <li>{@link FlushMode#AUTO_FLUSH_BACKGROUND}: {@link #apply} buffers the operation and returns at once;
 *       operations are batched per tablet and sent when a tablet's batch is full ({@link #setBatchMaxOps}),
 *       every flush interval, and on {@link #flush}. Up to {@link #setMaxBatchesInFlightPerTablet} batches
 *       (2 unless set) are in flight per tablet, so a tablet has the next batch while it answers one;
 *       operations on one row still apply in the order they were applied (below). When
 *       {@link #setMutationBufferSpace} operations are buffered or in flight, {@link #apply} blocks until a
 *       batch finishes (back-pressure), up to the session timeout.</li>
 *   <li>{@link FlushMode#MANUAL_FLUSH}: operations wait in the buffer until {@link #flush}; applying to a
 *       full buffer fails.</li>
 * </ul>
 * In the buffered modes, an operation that fails (its row's error, or TIMED_OUT when its batch ran out of
 * time) becomes a {@link RowError} in {@link #pendingErrors}. Every batch carries a request id that its
 * retries reuse, so a batch retried after a leader change is applied once. Not thread-safe: one thread
 * applies and flushes (batches complete on the client's threads). {@link #close} flushes.
 *
 * <p><b>Order of operations on one row, and failover.</b> A tablet's operations leave its buffer in the
 * order they were applied, cut into batches. A second batch is sent while earlier ones to the same tablet
 * are in flight only if none of its rows' primary keys is in them ({@link InFlightBatches} keeps the
 * encoded keys of the batches in flight); otherwise it, and everything buffered after it, waits until they
 * have finished. Batches in flight together are independent from then on: each has its own request id,
 * retried on its own, so when a leader dies they may be applied in either order. Say batch 1 is answered
 * NOT_THE_LEADER by the old leader (or lost with it) and retried, while batch 2 has already been applied on
 * the new leader: batch 2 took effect first. That is safe only because no row is in both: the tablet ends
 * up the same whichever applies first, and each batch is still applied exactly once (the replay cache
 * answers a retry of an applied batch with its first outcome; the lowest sequence still in flight, which
 * every request carries, stays at batch 1's until batch 1 is finished, so the tablet keeps batch 1's
 * outcome for as long as it may be retried). A batch touching a row of an in-flight batch (an update after
 * an insert of the same key) waits for that batch's final outcome, so it is never applied before it. The
 * one case this does not cover is a batch that fails with TIMED_OUT: its outcome is unknown (it may still
 * be applied later by a leader that had it in its log), exactly as with one batch in flight; its rows get
 * TIMED_OUT errors, and a caller that retries such rows should read them back first. Inserts of new keys,
 * the bulk load case, never wait for one another.
 *
 * <p><b>Schema changes.</b> An operation is encoded with the schema of the {@link BasaltTable} it was made
 * from, and its batch names that schema's version. Once the table is altered and its tablets run the new
 * schema, they refuse such a batch whole with SCHEMA_MISMATCH: none of its rows is applied. The session
 * does not retry it (not under the same request id, whose stored outcome is that refusal, nor re-encoded
 * under a new one, which could silently write a value into a different column that now has the old name):
 * every operation of the batch gets a SCHEMA_MISMATCH error (the returned response in AUTO_FLUSH_SYNC, a
 * row error in the buffered modes) saying to reopen the table with {@code openTable} and apply the
 * operations again, made from the reopened table. Operations of tables opened at different schema versions
 * go in separate batches, so one stale table never fails another's rows; the order of operations on one
 * row is kept only among operations made from tables opened at the same schema version.
 */
public final class Session implements AutoCloseable {
    public enum FlushMode { AUTO_FLUSH_SYNC, AUTO_FLUSH_BACKGROUND, MANUAL_FLUSH }

    static final int MAX_PENDING_ERRORS = 10_000;

    /** Errors collected by buffered modes, and whether some were dropped because too many piled up. */
    public record RowErrors(List<RowError> errors, boolean overflowed) {}

    /**
     * One batch's outcome, for a {@link #setBatchListener}: the tablet it went to, how many operations it
     * carried and how many of them failed, and how long it took from being sent (packed and handed to the
     * client, after it left the buffer) until its outcome was known, retries included.
     */
    public record BatchOutcome(String tabletId, int operations, int failedOperations, long latencyNanos) {}

    /**
     * Hears every batch this session sends, in any flush mode, once its outcome is known. Called on the
     * client's threads (in AUTO_FLUSH_SYNC on the one in {@link #apply}), without the session's lock, and
     * before the batch's operations stop counting as outstanding, so a {@link #flush} or {@link #close}
     * that returned has had every listener call of the operations applied before it. It must be quick and
     * must not throw; what it throws is dropped, so a faulty listener never loses a batch's outcome.
     */
    @FunctionalInterface
    public interface BatchListener {
        void batchFinished(BatchOutcome outcome);
    }

    /** Operations buffered for one tablet at one schema version, and its batches in flight. */
    private static final class TabletBuffer {
        final String tableId;
        final String tabletId;
        final int schemaVersion;
        final List<Operation> operations = new ArrayList<>();
        final InFlightBatches inFlight;

        TabletBuffer(String tableId, String tabletId, int schemaVersion, int maxBatchesInFlight) {
            this.tableId = tableId;
            this.tabletId = tabletId;
            this.schemaVersion = schemaVersion;
            this.inFlight = new InFlightBatches(maxBatchesInFlight);
        }
    }

    private final AsyncBasaltClient client;
    private FlushMode flushMode = FlushMode.AUTO_FLUSH_SYNC;
    private Duration timeout;
    private Duration flushInterval = Duration.ofSeconds(1);
    // Room for two full batches in flight to each of a few tablets plus the ones filling: at 5,000, three
    // tablets' 6,000 rows in flight could never be reached and apply blocked before the pipeline was full.
    private int mutationBufferSpace = 10_000;
    private int batchMaxOps = 1_000;
    private int maxBatchesInFlightPerTablet = 2;
    private volatile BatchListener batchListener;

    /** A tablet buffer's name: operations of one tablet made from tables at one schema version. */
    private record BufferKey(String tabletId, int schemaVersion) {}

    /** A batch taken out of its tablet buffer (with this locked), to be packed and sent without the lock. */
    private record TakenBatch(TabletBuffer buffer, List<Operation> operations, List<ByteString> keys, Duration timeout) {}

    // Guarded by this: the buffers, the count of operations buffered or in flight, and the errors.
    private final Map<BufferKey, TabletBuffer> buffers = new LinkedHashMap<>();
    private int outstandingOps;
    private boolean flushing;
    private final List<RowError> pendingErrors = new ArrayList<>();
    private boolean errorsOverflowed;
    private int peakBatchesInFlightPerTablet;
    private ScheduledFuture<?> flushTimer;
    private boolean closed;

    Session(AsyncBasaltClient client) {
        this.client = client;
        this.timeout = client.defaultOperationTimeout();
    }

    public synchronized Session setFlushMode(FlushMode mode) {
        if (outstandingOps > 0) {
            throw new IllegalStateException("flush before changing the flush mode (" + outstandingOps + " operations pending)");
        }
        flushMode = mode;
        if (mode != FlushMode.AUTO_FLUSH_BACKGROUND && flushTimer != null) {
            flushTimer.cancel(false);
            flushTimer = null;
        }
        return this;
    }

    public synchronized FlushMode flushMode() {
        return flushMode;
    }

    /** The deadline of each batch (and of a blocked {@link #apply}); the client's default unless set. */
    public synchronized Session setTimeout(Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("the session timeout must be positive, got " + value);
        }
        timeout = value;
        return this;
    }

    /** How many operations may be buffered or in flight before {@link #apply} blocks (or fails, manually). */
    public synchronized Session setMutationBufferSpace(int operations) {
        if (operations < 1) {
            throw new IllegalArgumentException("the mutation buffer needs space for at least 1 operation");
        }
        mutationBufferSpace = operations;
        return this;
    }

    /** The most operations one batch to one tablet carries. */
    public synchronized Session setBatchMaxOps(int operations) {
        if (operations < 1) {
            throw new IllegalArgumentException("a batch carries at least 1 operation");
        }
        batchMaxOps = operations;
        return this;
    }

    /**
     * How many batches may be in flight to one tablet at once (default 2): while one is being answered the
     * next is already on its way, so the tablet does not idle between batches. A batch is sent beside
     * others only if none of its rows is in them (see the class comment). Only while nothing is pending.
     */
    public synchronized Session setMaxBatchesInFlightPerTablet(int batches) {
        if (batches < 1) {
            throw new IllegalArgumentException("at least 1 batch in flight per tablet, got " + batches);
        }
        if (outstandingOps > 0) {
            throw new IllegalStateException("flush before changing the batches in flight per tablet ("
                    + outstandingOps + " operations pending)");
        }
        maxBatchesInFlightPerTablet = batches;
        // Every buffer is empty with nothing in flight; new ones are made with the new limit.
        buffers.clear();
        return this;
    }

    /**
     * The most batches that were in flight to one tablet (at one schema version) at once in this session:
     * how far the session pipelined its writes, at most {@link #setMaxBatchesInFlightPerTablet}.
     */
    public synchronized int peakBatchesInFlightPerTablet() {
        return peakBatchesInFlightPerTablet;
    }

    /** Who hears each batch's outcome (see {@link BatchListener}); null for no one, the default. */
    public Session setBatchListener(BatchListener listener) {
        batchListener = listener;
        return this;
    }

    /** How often AUTO_FLUSH_BACKGROUND sends what is buffered even when no batch is full. */
    public synchronized Session setFlushInterval(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("the flush interval must be positive, got " + interval);
        }
        flushInterval = interval;
        if (flushTimer != null) {
            flushTimer.cancel(false);
            flushTimer = null;
        }
        return this;
    }

    /**
     * Applies one operation. AUTO_FLUSH_SYNC: sends it and returns its outcome (a row error is in the
     * response; a deadline that passed is a TIMED_OUT row error). Buffered modes: returns null once the
     * operation is buffered.
     *
     * @throws IllegalArgumentException when the operation's key is not fully set
     * @throws IllegalStateException when a MANUAL_FLUSH buffer is full, or the session is closed
     * @throws BasaltException when the tablet cannot be located or back-pressure outlasts the timeout
     */
    public OperationResponse apply(Operation operation) {
        operation.row().checkKeySet(operation.type().toString());
        FlushMode mode;
        Duration applyTimeout;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the session is closed");
            }
            mode = flushMode;
            applyTimeout = timeout;
        }
        Deadline deadline = client.newDeadline(applyTimeout);
        String tabletId = route(operation, deadline);
        if (mode == FlushMode.AUTO_FLUSH_SYNC) {
            return BasaltClient.await(send(operation.table().tableId(), tabletId, schemaVersion(operation),
                    List.of(operation), applyTimeout)).get(0);
        }
        List<TakenBatch> taken = new ArrayList<>(0);
        synchronized (this) {
            if (outstandingOps >= mutationBufferSpace) {
                if (mode == FlushMode.MANUAL_FLUSH) {
                    throw new IllegalStateException("the mutation buffer is full (" + mutationBufferSpace
                            + " operations); flush first");
                }
                awaitSpace(deadline);
            }
            int schemaVersion = schemaVersion(operation);
            TabletBuffer buffer = buffers.computeIfAbsent(new BufferKey(tabletId, schemaVersion),
                    key -> new TabletBuffer(operation.table().tableId(), tabletId, schemaVersion,
                            maxBatchesInFlightPerTablet));
            buffer.operations.add(operation);
            outstandingOps++;
            if (mode == FlushMode.AUTO_FLUSH_BACKGROUND) {
                startFlushTimer();
                if (buffer.operations.size() >= batchMaxOps) {
                    takeBatches(buffer, false, taken);
                }
            }
        }
        sendAll(taken);
        return null;
    }

    /** Sends everything buffered and waits until every operation applied before this call has finished. */
    public void flush() {
        List<TakenBatch> taken = new ArrayList<>();
        synchronized (this) {
            flushing = true;
            buffers.values().forEach(buffer -> takeBatches(buffer, true, taken));
        }
        try {
            sendAll(taken);
            synchronized (this) {
                // Bounded: every batch ends by its deadline, and each end wakes this wait.
                while (outstandingOps > 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new BasaltException(Code.ABORTED, "interrupted while flushing");
                    }
                }
            }
        } finally {
            synchronized (this) {
                flushing = false;
            }
        }
    }

    /** Takes the collected row errors (buffered modes). */
    public synchronized RowErrors pendingErrors() {
        RowErrors errors = new RowErrors(List.copyOf(pendingErrors), errorsOverflowed);
        pendingErrors.clear();
        errorsOverflowed = false;
        return errors;
    }

    public synchronized int countPendingErrors() {
        return pendingErrors.size();
    }

    /** Operations buffered or in flight. */
    public synchronized int outstandingOperations() {
        return outstandingOps;
    }

    /** Flushes, then stops the flush timer. */
    @Override
    public void close() {
        flush();
        synchronized (this) {
            closed = true;
            if (flushTimer != null) {
                flushTimer.cancel(false);
                flushTimer = null;
            }
        }
    }

    // ---- internals ----

    private String route(Operation operation, Deadline deadline) {
        BasaltTable table = operation.table();
        PartitionRouter.Route route = table.router().route(operation.row().cells());
        TableLocations locations = BasaltClient.await(client.locations(table.tableId(), deadline));
        Optional<TabletLocation> tablet = locations.tabletFor(route.bucket(), route.rangeKey());
        if (tablet.isEmpty()) {
            throw new BasaltException(Code.NOT_FOUND, "no tablet of " + table + " covers " + operation.row()
                    + " (hash bucket " + route.bucket() + ")");
        }
        return tablet.get().tabletId();
    }

    private void awaitSpace(Deadline deadline) {
        // Bounded by the deadline; batch completions wake it.
        while (outstandingOps >= mutationBufferSpace) {
            long leftMs = deadline.remainingMillis();
            if (leftMs <= 0) {
                throw new BasaltException(Code.TIMED_OUT, "the mutation buffer stayed full (" + mutationBufferSpace
                        + " operations) for " + deadline.timeout());
            }
            try {
                wait(leftMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BasaltException(Code.ABORTED, "interrupted while waiting for buffer space");
            }
        }
    }

    private void startFlushTimer() {
        if (flushTimer == null) {
            long intervalMs = Math.max(1, flushInterval.toMillis());
            flushTimer = client.scheduler().scheduleWithFixedDelay(this::onFlushTimer, intervalMs, intervalMs,
                    TimeUnit.MILLISECONDS);
        }
    }

    private void onFlushTimer() {
        List<TakenBatch> taken = new ArrayList<>();
        synchronized (this) {
            if (flushMode == FlushMode.AUTO_FLUSH_BACKGROUND) {
                buffers.values().forEach(buffer -> takeBatches(buffer, true, taken));
            }
        }
        sendAll(taken);
    }

    /**
     * Takes batches of a tablet's buffered operations, oldest first, while its {@link InFlightBatches} admit
     * them, into {@code taken}; stops at the first batch that has to wait, so no operation overtakes an
     * earlier one of its tablet buffer. A batch smaller than {@link #setBatchMaxOps} goes only when
     * {@code partial} (a flush or the flush timer) or when nothing of the tablet is in flight: while one
     * batch is answered the next fills up instead of leaving in small pieces. Called with this locked; the
     * caller sends what was taken once it has let go of the lock ({@link #sendAll}), so packing and sending
     * never hold up {@link #apply}. Batches taken together may then leave in any order: they are in flight
     * together, so no row is in two of them.
     */
    private void takeBatches(TabletBuffer buffer, boolean partial, List<TakenBatch> taken) {
        // Bounded: every pass takes at least one operation out of the buffer, or returns.
        while (!buffer.operations.isEmpty()) {
            int count = Math.min(batchMaxOps, buffer.operations.size());
            if (count < batchMaxOps && !partial && buffer.inFlight.count() > 0) {
                return;
            }
            List<Operation> next = buffer.operations.subList(0, count);
            Optional<List<ByteString>> keys = buffer.inFlight.tryStart(next);
            if (keys.isEmpty()) {
                return; // at the limit, or a row of it is in flight: the end of a batch takes again
            }
            peakBatchesInFlightPerTablet = Math.max(peakBatchesInFlightPerTablet, buffer.inFlight.count());
            taken.add(new TakenBatch(buffer, new ArrayList<>(next), keys.get(), timeout));
            next.clear();
        }
    }

    /** Packs and sends batches {@link #takeBatches} took. Called without the lock. */
    private void sendAll(List<TakenBatch> taken) {
        for (TakenBatch batch : taken) {
            TabletBuffer buffer = batch.buffer();
            send(buffer.tableId, buffer.tabletId, buffer.schemaVersion, batch.operations(), batch.timeout())
                    .whenComplete((responses, failure) -> finished(batch, responses));
        }
    }

    /** A batch's outcome is known: frees its space and rows, collects its errors, and sends what it held up. */
    private void finished(TakenBatch batch, List<OperationResponse> responses) {
        List<TakenBatch> taken = new ArrayList<>(0);
        synchronized (this) {
            batch.buffer().inFlight.finished(batch.keys());
            outstandingOps -= batch.operations().size();
            for (OperationResponse response : responses) {
                response.rowError().ifPresent(this::collect);
            }
            if (flushMode == FlushMode.AUTO_FLUSH_BACKGROUND || flushing) {
                takeBatches(batch.buffer(), flushing, taken);
            }
            notifyAll();
        }
        sendAll(taken);
    }

    private static int schemaVersion(Operation operation) {
        return operation.table().schema().version();
    }

    private static String staleSchemaMessage(BasaltTable table, Throwable cause) {
        return "not applied: " + table + " was opened at schema version " + table.schema().version()
                + " and its schema has changed since; reopen the table (openTable) and apply the operation again,"
                + " made from the reopened table (" + cause.getMessage() + ")";
    }

    private void collect(RowError error) {
        if (pendingErrors.size() < MAX_PENDING_ERRORS) {
            pendingErrors.add(error);
        } else {
            errorsOverflowed = true;
        }
    }

    /**
     * Writes one batch to a tablet and completes (never exceptionally) with one response per operation: a
     * failure of the whole batch becomes that error on every operation.
     */
    private CompletableFuture<List<OperationResponse>> send(String tableId, String tabletId, int schemaVersion,
                                                            List<Operation> batch, Duration batchTimeout) {
        long sentNanos = System.nanoTime();
        RequestIdPB requestId = client.requests().newRequest();
        CompletableFuture<WriteResponsePB> written;
        try {
            written = client.write(tableId, tabletId, schemaVersion, PackedBatch.rows(batch), batch.size(), requestId,
                    client.newDeadline(batchTimeout));
        } catch (RuntimeException e) {
            written = CompletableFuture.failedFuture(e);
        }
        return written.handle((response, failure) -> {
            client.requests().complete(requestId);
            List<OperationResponse> responses = new ArrayList<>(batch.size());
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                Code code = cause instanceof BasaltException e ? e.code() : Code.INTERNAL;
                String message = code == Code.SCHEMA_MISMATCH ? staleSchemaMessage(batch.get(0).table(), cause)
                        : cause.getMessage();
                for (Operation operation : batch) {
                    responses.add(new OperationResponse(operation,
                            Optional.of(new RowError(operation, code, message)), 0));
                }
                tellListener(tabletId, batch.size(), batch.size(), sentNanos);
                return responses;
            }
            RowErrorPB[] errorByRow = new RowErrorPB[batch.size()];
            for (RowErrorPB error : response.getRowErrorsList()) {
                if (error.getRow() >= 0 && error.getRow() < batch.size()) {
                    errorByRow[error.getRow()] = error;
                }
            }
            int failed = 0;
            for (int i = 0; i < batch.size(); i++) {
                Operation operation = batch.get(i);
                failed += errorByRow[i] == null ? 0 : 1;
                Optional<RowError> error = errorByRow[i] == null ? Optional.empty()
                        : Optional.of(new RowError(operation, errorByRow[i].getError().getCode(),
                        errorByRow[i].getError().getMessage()));
                responses.add(new OperationResponse(operation, error, response.getTimestamp()));
            }
            tellListener(tabletId, batch.size(), failed, sentNanos);
            return responses;
        });
    }

    private void tellListener(String tabletId, int operations, int failed, long sentNanos) {
        BatchListener listener = batchListener;
        if (listener == null) {
            return;
        }
        try {
            listener.batchFinished(new BatchOutcome(tabletId, operations, failed, System.nanoTime() - sentNanos));
        } catch (RuntimeException e) {
            // Dropped (see BatchListener): the batch's responses and the session's count must still complete.
        }
    }
}
