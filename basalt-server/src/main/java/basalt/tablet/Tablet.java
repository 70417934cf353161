package basalt.tablet;

import basalt.common.check.Check;
import basalt.common.key.XxHash64;
import basalt.common.time.HybridClock;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.consensus.driver.StateMachine;
import basalt.proto.AlterSchemaResponsePB;
import basalt.proto.ChecksumRequestPB;
import basalt.proto.ChecksumResponsePB;
import basalt.proto.Code;
import basalt.proto.OperationType;
import basalt.proto.PartitionPB;
import basalt.proto.ReadMode;
import basalt.proto.ReplicatedWritePB;
import basalt.proto.RowErrorPB;
import basalt.proto.RowOperationPB;
import basalt.proto.SchemaChangePB;
import basalt.proto.SchemaPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tablet replica: the state machine its Raft group applies into, plus MVCC reads over what it applied.
 *
 * <p><b>Write path.</b> The leader calls {@link #prepareWrite} (single-threaded per tablet): it validates
 * the request ({@link WriteValidator}), assigns a hybrid timestamp and returns the payload to replicate.
 * Every replica then {@link #apply}s the committed entry: the rows' outcomes (ALREADY_PRESENT, NOT_FOUND,
 * or applied) depend only on the tablet's state and the entry, so they are the same on every replica, and
 * all rows of the entry plus the applied OpId go into one RocksDB WriteBatch (nothing is half-applied).
 * Row semantics: INSERT fails with ALREADY_PRESENT on a live key (unset columns are NULL); INSERT_IGNORE
 * does nothing on a live key; UPDATE fails with NOT_FOUND on a missing key and changes only the columns it
 * sets; UPSERT is an UPDATE of the set columns when the key is live, else an INSERT; DELETE fails with
 * NOT_FOUND on a missing key and writes a tombstone. An UPDATE with an expected row is a compare-and-set:
 * it fails with PRECONDITION_FAILED, changing nothing, unless the row's current values equal the expected
 * ones (checked here, in apply, so the check and the change are one atomic step on every replica).
 *
 * <p><b>Timestamps.</b> A prepared write's timestamp is {@code max(clock.now(), every timestamp assigned or
 * applied here + 1)}, so versions of a key are ordered as the log orders them. Applying an entry moves the
 * clock past its timestamp. This relies on the leader-ready rule of the architecture: a new leader
 * prepares writes only after the no-op of its term is applied, that is after every earlier entry.
 *
 * <p><b>Snapshots and safe time.</b> A read at T sees exactly the versions with timestamp &lt;= T (the
 * newest such version of each key, a tombstone meaning absent). {@link #safeTime()} is the largest T that
 * can no longer change: while a prepared write is in flight (prepared, neither applied nor aborted) it is
 * the newest applied timestamp; otherwise it is {@code clock.now()}, and any later write is prepared above
 * it because preparing and reading the safe time share one lock. READ_LATEST reads at the newest applied
 * timestamp; READ_AT_SNAPSHOT at T &gt; safe time answers SERVICE_UNAVAILABLE ("not yet safe", retry).
 * The rule is exact on the leader, the only replica that prepares; a follower knows of no in-flight
 * writes, so its safe time is only right once it has applied everything the leader prepared below it.
 * Snapshot reads on followers therefore need the leader's safe time carried to them, which this class
 * does not do: serve READ_AT_SNAPSHOT from leaders.
 *
 * <p><b>Scan rows.</b> Each returned RowPB has one ColumnValuePB per projected column, in projection order,
 * and {@code column} is the position in the projection (0, 1, …), not the schema index; NULL is an unset
 * ValuePB. {@code limit} bounds one request; a client that resumes passes the remaining count.
 *
 * <p><b>Schema changes.</b> A schema change is an entry of the tablet's own log ({@link
 * #prepareSchemaChange}), so every replica switches schema at the same log position; its apply persists
 * the new metadata in the same batch as the applied index. Rows are stored by column id ({@link RowCodec}),
 * so rows written before read correctly after. A write carries the schema version it was validated under
 * and is applied only under that version: one that a schema change overtook in the log fails whole with
 * SCHEMA_MISMATCH on every replica.
 *
 * <p><b>Exactly once.</b> A write that carries a request id has its outcome (row errors and timestamp)
 * kept in the {@link ReplayCache}, and stored under the tablet's prefix in the same WriteBatch as its rows:
 * the outcome is durable exactly when the rows are, every replica has it (so a new leader answers a retry
 * with it), and tablet copies carry it. Storing it beats rebuilding it from the WAL at bootstrap, because
 * the WAL below the durable point is deleted while a client may still retry a request applied there.
 * Applying an entry whose request id already has an outcome changes nothing and returns that outcome.
 *
 * <p>Threads: {@link #apply}, {@link #install} and {@link #snapshot} come from the group's thread,
 * {@link #prepareWrite} from the leader's write path (one at a time), scans and checksums from any thread.
 */
public final class Tablet implements StateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(Tablet.class);
    private static final int APPLIED_STATE_BYTES = 24;
    /** Bounds one apply's extra work when many clients go idle together; the rest go with later writes. */
    private static final int MAX_CLIENTS_FORGOTTEN_PER_WRITE = 1_000;

    private final TabletStore store;
    /** This tablet's row versions (see {@link TabletStore}); per-tablet keys are in {@code store.meta()}. */
    private final ColumnFamilyHandle rowFamily;
    /**
     * Held shared while {@link #rowFamily} is in use; {@link #retire} takes it exclusively once, when the
     * tablet is deleted and its family about to be dropped and its handle closed (a closed handle used from
     * Java is a use after free in native code, not an exception).
     */
    private final ReentrantReadWriteLock familyUse = new ReentrantReadWriteLock();
    private boolean retired; // guarded by familyUse
    private final String tabletId;
    private final byte[] dataPrefix;
    private final byte[] appliedKey;
    private final byte[] rowPrefix;
    private final byte[] rowEnd;
    /** Where applied request outcomes are stored: this prefix, client id (int16 length, UTF-8), int64 sequence. */
    private final byte[] outcomePrefix;
    private final byte[] outcomeEnd;
    private final ReplayCache replayCache = new ReplayCache();
    private final HybridClock clock;
    private final TabletOptions options;

    /** Replaced by a schema change entry's apply and by {@link #install} (a copy may carry newer metadata). */
    private volatile Definition definition;
    /** Changed by apply and install (group thread). */
    private volatile OpId lastApplied;
    /** Raised by {@link TabletStore#flush()} and read on open. */
    private volatile long durableIndex;
    /**
     * The largest encoded key this tablet stores a version of (tombstones included), or null when it stores
     * none. Encoded keys are prefix-free, so RocksDB's order of stored keys is the order of encoded keys and
     * the last stored key holds it. A key above it has no version: apply skips the RocksDB seek for it
     * (sequential inserts, the common bulk-load pattern). Group thread only (apply, install), and the constructor.
     */
    private byte[] largestKey;
    /** The largest key once the batch being applied is written; becomes {@link #largestKey} after the write. */
    private byte[] pendingLargestKey;

    /** Guards the three fields below, so preparing a timestamp and reading the safe time are atomic. */
    private final Object mvccLock = new Object();
    private long newestAssignedTimestamp;
    private long newestAppliedTimestamp;
    private final TreeSet<Long> inFlightTimestamps = new TreeSet<>();
    /**
     * Leader only: the writes prepared here and not yet applied or aborted, by their payload's identity, so
     * {@link #apply} takes the message it built instead of parsing the same bytes back (a third of the
     * leader's per-row protobuf work). A cache: an entry that is not found (a follower, an entry re-read from
     * the WAL) is parsed as before. Bounded by {@link #PREPARED_CACHE_MAX}; guarded by {@code mvccLock}.
     */
    private final Map<ByteString, Prepared> preparedByPayload = new IdentityHashMap<>();

    /** A write this leader prepared: the message it replicates and its rows as validation decoded them. */
    private record Prepared(ReplicatedWritePB write, List<WriteValidator.Row> decodedRows) {}
    private static final int PREPARED_CACHE_MAX = 4096;

    private record Definition(TabletMetadataPB metadata, Schema schema, PartitionSchema partitionSchema,
                              WriteValidator validator) {}

    Tablet(TabletStore store, byte[] prefix, ColumnFamilyHandle rowFamily, TabletMetadataPB metadata,
           HybridClock clock, TabletOptions options) {
        this.store = store;
        this.rowFamily = rowFamily;
        this.tabletId = metadata.getTabletId();
        this.dataPrefix = TabletStore.dataPrefix(prefix);
        this.appliedKey = TabletStore.concat(dataPrefix, new byte[] {0x01});
        this.rowPrefix = TabletStore.concat(dataPrefix, new byte[] {0x02});
        this.rowEnd = TabletStore.concat(dataPrefix, new byte[] {0x03});
        this.outcomePrefix = TabletStore.concat(dataPrefix, new byte[] {0x04});
        this.outcomeEnd = TabletStore.concat(dataPrefix, new byte[] {0x05});
        this.clock = clock;
        this.options = options;
        this.definition = define(metadata);
        byte[] applied = getMeta(appliedKey);
        if (applied == null) {
            lastApplied = OpId.ZERO;
        } else {
            ByteBuffer buffer = ByteBuffer.wrap(applied);
            lastApplied = new OpId(buffer.getLong(), buffer.getLong());
            newestAppliedTimestamp = buffer.getLong();
            newestAssignedTimestamp = newestAppliedTimestamp;
            clock.update(newestAppliedTimestamp);
        }
        durableIndex = lastApplied.index(); // with RocksDB's WAL off, whatever we read back was flushed
        largestKey = readLargestKey();
        loadOutcomes();
    }

    private void loadOutcomes() {
        replayCache.clearApplied();
        try (RocksIterator iterator = store.db().newIterator(store.meta())) {
            for (iterator.seek(outcomePrefix); iterator.isValid(); iterator.next()) {
                byte[] key = iterator.key();
                if (Arrays.compareUnsigned(key, outcomeEnd) >= 0) {
                    break;
                }
                ByteBuffer buffer = ByteBuffer.wrap(key, outcomePrefix.length, key.length - outcomePrefix.length);
                byte[] clientId = new byte[buffer.getShort() & 0xFFFF];
                buffer.get(clientId);
                long sequence = buffer.getLong();
                try {
                    replayCache.load(new String(clientId, java.nio.charset.StandardCharsets.UTF_8), sequence,
                            WriteResponsePB.parseFrom(iterator.value()));
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalStateException("tablet " + tabletId + ": unreadable stored outcome of a request of "
                            + "client " + new String(clientId, java.nio.charset.StandardCharsets.UTF_8) + " sequence "
                            + sequence, e);
                }
            }
        }
    }

    private byte[] outcomeKey(String clientId, long sequence) {
        byte[] client = clientId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Check.arg(client.length <= 0xFFFF, "client id of %s bytes is too long", client.length);
        return ByteBuffer.allocate(outcomePrefix.length + 2 + client.length + 8).put(outcomePrefix)
                .putShort((short) client.length).put(client).putLong(Math.max(0, sequence)).array();
    }

    /** The outcomes of applied requests that carried an id (leader and followers alike). */
    public ReplayCache replayCache() {
        return replayCache;
    }

    private byte[] readLargestKey() {
        try (RocksIterator iterator = store.db().newIterator(rowFamily)) {
            iterator.seekForPrev(rowEnd);
            if (!iterator.isValid()) {
                return null;
            }
            byte[] stored = iterator.key();
            if (stored.length < rowPrefix.length + 8
                    || !Arrays.equals(stored, 0, rowPrefix.length, rowPrefix, 0, rowPrefix.length)) {
                return null;
            }
            return Arrays.copyOfRange(stored, rowPrefix.length, stored.length - 8);
        }
    }

    private Definition define(TabletMetadataPB metadata) {
        Schema schema = Schema.fromPB(metadata.getSchema());
        PartitionSchema partitionSchema = PartitionSchema.fromPB(metadata.getPartitionSchema(), schema);
        return new Definition(metadata, schema, partitionSchema, new WriteValidator(schema, partitionSchema,
                metadata.getPartition(), options.maxCellBytes(), options.maxOperationsPerWrite()));
    }

    public String tabletId() {
        return tabletId;
    }

    public TabletMetadataPB metadata() {
        return definition.metadata();
    }

    public Schema schema() {
        return definition.schema();
    }

    public PartitionSchema partitionSchema() {
        return definition.partitionSchema();
    }

    public PartitionPB partition() {
        return definition.metadata().getPartition();
    }

    // ---- write path ----

    /**
     * Leader side: validates the request and assigns its timestamp. A request malformed as a whole throws
     * an INVALID_ARGUMENT {@link TabletException}. When the payload is not empty the caller must replicate
     * it, or call {@link #abortPrepared} if the proposal is refused, so the safe time can move on.
     */
    public PreparedWrite prepareWrite(WriteRequestPB request) {
        Definition current = definition;
        WriteValidator.Result validated = current.validator().validate(tabletId, request);
        if (validated.nothingAccepted()) {
            return new PreparedWrite(ByteString.EMPTY, 0, validated.errors());
        }
        long timestamp;
        synchronized (mvccLock) {
            timestamp = Math.max(clock.now(), Math.max(newestAssignedTimestamp, newestAppliedTimestamp) + 1);
            newestAssignedTimestamp = timestamp;
            inFlightTimestamps.add(timestamp);
        }
        ReplicatedWritePB.Builder payload = ReplicatedWritePB.newBuilder().setTimestamp(timestamp)
                .setSchemaVersion(current.schema().version()).addAllOperations(validated.operations())
                .setPackedRows(request.getPackedRows()) // the client's block as it came: no re-encoding
                .addAllValidationErrors(validated.errors());
        boolean everyPackedRow = !request.getPackedRows().isEmpty() && validated.errors().isEmpty();
        if (!everyPackedRow) {
            payload.addAllRowIndexes(validated.rowIndexes());
        }
        if (request.hasRequestId()) {
            payload.setRequestId(request.getRequestId());
        }
        ReplicatedWritePB write = payload.build();
        ByteString bytes = write.toByteString();
        synchronized (mvccLock) {
            if (preparedByPayload.size() < PREPARED_CACHE_MAX) {
                preparedByPayload.put(bytes, new Prepared(write, validated.decodedRows()));
            }
        }
        return new PreparedWrite(bytes, timestamp, validated.errors());
    }

    /**
     * Leader side: the payload of an entry that switches every replica to {@code schema} (and table name) at
     * its log position, or empty when this tablet already runs that version or a newer one (the master
     * repeats AlterSchema until the tablet reports the version, so a repeat must change nothing). Throws an
     * INVALID_ARGUMENT {@link TabletException} when the schema cannot follow the current one
     * ({@link SchemaEvolution}). A change of a version already in the log is harmless: apply skips it.
     */
    public ByteString prepareSchemaChange(SchemaPB schema, String tableName) {
        Schema current = schema();
        Schema next = Schema.fromPB(schema);
        if (next.version() <= current.version()) {
            return ByteString.EMPTY;
        }
        SchemaEvolution.checkCompatible(current, next);
        if (tableName.isBlank()) {
            throw TabletException.invalid("a schema change needs the table's name");
        }
        return ReplicatedWritePB.newBuilder().setSchemaChange(SchemaChangePB.newBuilder().setSchema(next.toPB())
                .setTableName(tableName)).build().toByteString();
    }

    /** Forgets a prepared write whose entry will never be applied (proposal refused, leadership lost). */
    public void abortPrepared(long timestamp) {
        synchronized (mvccLock) {
            inFlightTimestamps.remove(timestamp);
            preparedByPayload.values().removeIf(prepared -> prepared.write().getTimestamp() == timestamp);
        }
    }

    /** The newest timestamp a snapshot read may use now; see the class comment for the rule. */
    public long safeTime() {
        synchronized (mvccLock) {
            return inFlightTimestamps.isEmpty() ? clock.now() : newestAppliedTimestamp;
        }
    }

    public long newestAppliedTimestamp() {
        synchronized (mvccLock) {
            return newestAppliedTimestamp;
        }
    }

    @Override
    public Object apply(Entry entry) {
        useFamily();
        try {
            return applyToFamily(entry);
        } finally {
            familyUse.readLock().unlock();
        }
    }

    private Object applyToFamily(Entry entry) {
        if (entry.index() <= lastApplied.index()) {
            return null; // already reflected in the store (replayed after a restart)
        }
        Check.state(entry.index() == lastApplied.index() + 1, "tablet %s: entry %s after applied %s leaves a gap",
                tabletId, entry.opId(), lastApplied);
        Object response = null;
        ReplicatedWritePB write = null;
        Definition changed = null;
        java.util.Collection<String> idleClients = List.of();
        long newestTimestamp = newestAppliedTimestamp();
        // Built in Java and handed to RocksDB in one call, not a JNI put per row (see WriteBatchBuilder).
        WriteBatchBuilder batch = new WriteBatchBuilder(entry.payload().size() * 5 / 4);
        try {
            if (entry.type() == EntryType.NORMAL) {
                Prepared prepared = takePrepared(entry);
                ReplicatedWritePB parsed = prepared != null ? prepared.write() : parseWrite(entry);
                if (parsed.hasSchemaChange()) {
                    changed = applySchemaChange(parsed.getSchemaChange(), batch);
                    response = AlterSchemaResponsePB.newBuilder()
                            .setSchemaVersion((changed != null ? changed : definition).schema().version()).build();
                } else {
                    write = parsed;
                    idleClients = forgetIdleClients(write, batch);
                    response = applyOnce(write, prepared != null ? prepared.decodedRows() : null, batch);
                    newestTimestamp = Math.max(newestTimestamp, write.getTimestamp());
                }
            }
            batch.put(store.meta(), appliedKey, appliedState(entry.opId(), newestTimestamp));
            try (WriteBatch built = batch.build()) {
                store.write(built);
            }
        } catch (RocksDBException e) {
            throw TabletStore.failure("apply " + entry.opId() + " to tablet " + tabletId, e);
        }
        if (write != null) {
            largestKey = pendingLargestKey;
        }
        if (changed != null) {
            definition = changed;
        }
        lastApplied = entry.opId();
        replayCache.forget(idleClients);
        if (write != null && ReplayCache.tracked(write.getRequestId())) {
            replayCache.recordApplied(write.getRequestId(), (WriteResponsePB) response);
        }
        if (write != null) {
            clock.update(write.getTimestamp());
            synchronized (mvccLock) {
                newestAppliedTimestamp = newestTimestamp;
                inFlightTimestamps.remove(write.getTimestamp());
            }
        }
        return response;
    }

    /**
     * Puts the tablet's metadata with the new schema into the batch (so it is durable exactly with the
     * applied index of this entry: a restart replays the entry or already has both), and returns the new
     * definition, to take effect once the batch is written; null when the tablet already runs this
     * version or a newer one (the master may have sent a change twice). The leader checked compatibility
     * before replicating, and every replica is at the same schema here, so the check holds here too.
     */
    private Definition applySchemaChange(SchemaChangePB change, WriteBatchBuilder batch) {
        Definition current = definition;
        Schema next = Schema.fromPB(change.getSchema());
        if (next.version() <= current.schema().version()) {
            return null;
        }
        TabletMetadataPB metadata = current.metadata().toBuilder().setSchema(next.toPB())
                .setTableName(change.getTableName())
                .setPartitionSchema(SchemaEvolution.renameColumns(current.metadata().getPartitionSchema(),
                        current.schema(), next))
                .build();
        batch.put(store.meta(), TabletStore.metadataKey(TabletStore.prefix(tabletId)), metadata.toByteArray());
        return define(metadata);
    }

    private Prepared takePrepared(Entry entry) {
        synchronized (mvccLock) {
            return preparedByPayload.isEmpty() ? null : preparedByPayload.remove(entry.payload());
        }
    }

    private ReplicatedWritePB parseWrite(Entry entry) {
        try {
            return ReplicatedWritePB.parseFrom(entry.payload());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("tablet " + tabletId + ": entry " + entry.opId()
                    + " holds no replicated write: " + e.getMessage(), e);
        }
    }

    /**
     * Deletes, in {@code batch}, the stored outcomes of clients that wrote nothing for the TTL before this
     * write's timestamp, and returns them for {@link ReplayCache#forget} once the batch is written. The
     * timestamp is the entry's, so every replica forgets the same clients at the same index.
     */
    private java.util.Collection<String> forgetIdleClients(ReplicatedWritePB write, WriteBatchBuilder batch)
            throws RocksDBException {
        if (options.replayClientTtlMs() == 0) {
            return List.of();
        }
        long cutoff = write.getTimestamp() - HybridClock.fromMicros(options.replayClientTtlMs() * 1000);
        Map<String, List<Long>> idle = replayCache.idleClients(cutoff, write.getRequestId().getClientId(),
                MAX_CLIENTS_FORGOTTEN_PER_WRITE);
        for (Map.Entry<String, List<Long>> client : idle.entrySet()) {
            for (long sequence : client.getValue()) {
                batch.delete(store.meta(), outcomeKey(client.getKey(), sequence));
            }
        }
        if (!idle.isEmpty()) {
            LOG.info("tablet {}: forgot the write outcomes of {} client(s) idle for over {} ms",
                    tabletId, idle.size(), options.replayClientTtlMs());
        }
        return idle.keySet();
    }

    /**
     * Applies the rows unless the write's request id already has an outcome (then returns that one and
     * writes nothing); stores the outcome with the rows, and drops the client's outcomes below its first
     * incomplete sequence, all in {@code batch}.
     */
    private WriteResponsePB applyOnce(ReplicatedWritePB write, List<WriteValidator.Row> decodedRows,
                                      WriteBatchBuilder batch) {
        if (!ReplayCache.tracked(write.getRequestId())) {
            return applyRows(write, decodedRows, batch);
        }
        basalt.proto.RequestIdPB id = write.getRequestId();
        java.util.Optional<WriteResponsePB> earlier = replayCache.appliedOutcome(id);
        WriteResponsePB response;
        if (earlier.isPresent()) {
            response = earlier.get();
            pendingLargestKey = largestKey;
        } else {
            response = applyRows(write, decodedRows, batch);
            batch.put(store.meta(), outcomeKey(id.getClientId(), id.getSequence()), response.toByteArray());
        }
        if (id.getFirstIncompleteSequence() > 0) {
            // Point deletes of the outcomes this replica holds (the cache mirrors the store), not a deleteRange
            // per write: RocksDB keeps every range tombstone in the memtable and each new iterator walks them
            // all, so 16 writers of one-row batches slowed to ~300 writes/s as the tombstones piled up.
            long below = Math.min(id.getFirstIncompleteSequence(), id.getSequence());
            for (long sequence : replayCache.storedBelow(id.getClientId(), below)) {
                batch.delete(store.meta(), outcomeKey(id.getClientId(), sequence));
            }
        }
        return response;
    }

    /** {@code decodedRows}: the operations' rows as the leader's validation decoded them, or null to decode here. */
    private WriteResponsePB applyRows(ReplicatedWritePB write, List<WriteValidator.Row> decodedRows,
                                      WriteBatchBuilder batch) {
        Schema schema = schema();
        if (write.getSchemaVersion() != schema.version()) {
            // Validated under another schema (a schema change came first in the log): its column indexes
            // mean other columns here. Every replica is at this schema here, so all refuse it alike.
            pendingLargestKey = largestKey;
            return WriteResponsePB.newBuilder().setTimestamp(write.getTimestamp()).setError(
                    WriteValidator.schemaMismatch(tabletId, write.getSchemaVersion(), schema.version()).toErrorPB())
                    .build();
        }
        byte[] timestampSuffix = invertedTimestamp(write.getTimestamp());
        WriteRows rows = rowsOf(schema, write, decodedRows);
        // Rows this batch wrote, by encoded key, as stored values (a tombstone when deleted), for later rows of
        // the same key. The map is built only when a row's key is not above every key written so far: while
        // keys ascend (bulk loads, sequential inserts) no row can meet an earlier one, and the rows wait in two
        // arrays unhashed.
        Map<EncodedKey, byte[]> written = null;
        byte[][] ascendingKeys = new byte[rows.count()][];
        byte[][] ascendingValues = new byte[rows.count()][];
        int ascendingCount = 0;
        byte[] tombstone = RowCodec.tombstone();
        // A list, sorted only when it holds something: most writes have no row errors, and a stream per write
        // showed in the profile of one-row writes.
        List<RowErrorPB> errors = new ArrayList<>(write.getValidationErrorsList());
        byte[] largestWritten = largestKey;
        RocksIterator iterator = null; // opened at the first key that needs a seek: ascending keys need none
        try {
            boolean everyRow = write.getRowIndexesCount() == 0; // a packed block none of whose rows was refused
            for (int i = 0; i < rows.count(); i++) {
                int row = everyRow ? i : write.getRowIndexes(i);
                byte[] key = rows.key(i);
                // The stored key is this prefix and the inverted timestamp: built once, used for the seek too.
                byte[] storedKey = Arrays.copyOf(rowPrefix, rowPrefix.length + key.length + timestampSuffix.length);
                System.arraycopy(key, 0, storedKey, rowPrefix.length, key.length);
                System.arraycopy(timestampSuffix, 0, storedKey, rowPrefix.length + key.length, timestampSuffix.length);
                // Above the largest stored key and every key of this batch so far: no version anywhere.
                boolean aboveAll = largestWritten == null || Arrays.compareUnsigned(key, largestWritten) > 0;
                byte[] current = null; // the newest version's stored value, null when there is none
                if (!aboveAll) {
                    if (written == null) {
                        written = new HashMap<>(Math.max(16, rows.count() * 4 / 3 + 1));
                        for (int j = 0; j < ascendingCount; j++) {
                            written.put(new EncodedKey(ascendingKeys[j]), ascendingValues[j]);
                        }
                    }
                    current = written.get(new EncodedKey(key));
                    if (current == null && largestKey != null && Arrays.compareUnsigned(key, largestKey) <= 0) {
                        if (iterator == null) {
                            iterator = store.db().newIterator(rowFamily);
                        }
                        current = latest(iterator, storedKey, rowPrefix.length + key.length);
                    }
                }
                boolean live = current != null && !RowCodec.isTombstone(current);
                OperationType type = rows.type(i);
                byte[] next;
                String mismatch;
                if (live && type == OperationType.INSERT) {
                    errors.add(rowError(row, Code.ALREADY_PRESENT, "key " + describeKey(rows.decoded(i).cells()) + " already present"));
                    continue;
                } else if (!live && (type == OperationType.UPDATE || type == OperationType.DELETE)) {
                    errors.add(rowError(row, Code.NOT_FOUND, "key " + describeKey(rows.decoded(i).cells()) + " not found"));
                    continue;
                } else if (live && type == OperationType.INSERT_IGNORE) {
                    continue;
                } else if (type == OperationType.DELETE) {
                    next = tombstone;
                } else if (!live) {
                    next = rows.newRowValue(i); // INSERT, INSERT_IGNORE or UPSERT of a new key: no cells needed
                } else {
                    WriteValidator.Row decoded = rows.decoded(i);
                    Object[] merged = RowCodec.decode(schema, current);
                    if (decoded.expected() != null && (mismatch = mismatch(schema, merged, decoded.expected())) != null) {
                        errors.add(rowError(row, Code.PRECONDITION_FAILED, "key " + describeKey(decoded.cells()) + ": " + mismatch));
                        continue;
                    }
                    for (int column = 0; column < merged.length; column++) {
                        if (decoded.set()[column]) {
                            merged[column] = decoded.cells()[column];
                        }
                    }
                    next = RowCodec.encode(schema, merged);
                }
                if (written != null) {
                    written.put(new EncodedKey(key), next);
                } else {
                    ascendingKeys[ascendingCount] = key;
                    ascendingValues[ascendingCount++] = next;
                }
                if (largestWritten == null || Arrays.compareUnsigned(key, largestWritten) > 0) {
                    largestWritten = key;
                }
                batch.put(rowFamily, storedKey, next);
            }
        } finally {
            if (iterator != null) {
                iterator.close();
            }
        }
        pendingLargestKey = largestWritten;
        return WriteResponsePB.newBuilder().setTimestamp(write.getTimestamp())
                .addAllRowErrors(sortedByRow(errors))
                .build();
    }

    private static List<RowErrorPB> sortedByRow(List<RowErrorPB> errors) {
        if (errors.size() > 1) {
            errors.sort(Comparator.comparingInt(RowErrorPB::getRow));
        }
        return errors;
    }

    /**
     * The rows to apply: a packed block read in place (on every replica, the leader too: its validation
     * decoded the cells, but writing them from the block's bytes is cheaper than encoding those objects), else
     * the operations as the leader's validation decoded them, or decoded here.
     */
    private static WriteRows rowsOf(Schema schema, ReplicatedWritePB write, List<WriteValidator.Row> decodedRows) {
        if (!write.getPackedRows().isEmpty()) {
            return WriteRows.of(schema, WriteValidator.indexPacked(schema, write.getPackedRows()),
                    write.getRowIndexesList());
        }
        if (decodedRows != null) {
            return WriteRows.of(schema, decodedRows);
        }
        List<WriteValidator.Row> rows = new ArrayList<>(write.getOperationsCount());
        for (RowOperationPB operation : write.getOperationsList()) {
            rows.add(WriteValidator.decode(schema, operation));
        }
        return WriteRows.of(schema, rows);
    }

    /**
     * Why a compare-and-set does not hold on {@code current} (a live row), or null when every column the
     * expected row sets holds that value. The expected row passed validation at the leader.
     */
    private static String mismatch(Schema schema, Object[] current, basalt.proto.RowPB expectedRow) {
        WriteValidator.Row expected = WriteValidator.decode(schema, expectedRow);
        for (int column = 0; column < current.length; column++) {
            if (expected.set()[column] && !java.util.Objects.equals(current[column], expected.cells()[column])) {
                return "column '" + schema.column(column).name() + "' is " + current[column] + ", expected "
                        + expected.cells()[column];
            }
        }
        return null;
    }

    /** An encoded key as a map key: content equality without a copy (Arrays.hashCode is vectorized). */
    private record EncodedKey(byte[] bytes) {
        @Override
        public boolean equals(Object other) {
            return other instanceof EncodedKey that && Arrays.equals(bytes, that.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    private static RowErrorPB rowError(int row, Code code, String message) {
        return RowErrorPB.newBuilder().setRow(row).setError(TabletException.error(code, "row " + row + ": " + message))
                .build();
    }

    private String describeKey(Object[] cells) {
        StringBuilder text = new StringBuilder("(");
        for (int i = 0; i < schema().keyColumnCount(); i++) {
            text.append(i == 0 ? "" : ", ").append(cells[i]);
        }
        return text.append(')').toString();
    }

    /**
     * The stored value of the newest version of a key (a tombstone when deleted), or null when there is
     * none. {@code storedKey} is a stored key of the row (row prefix, encoded key, any 8-byte suffix); its
     * first {@code versionsPrefixLength} bytes are the prefix every version of the row shares.
     */
    private static byte[] latest(RocksIterator iterator, byte[] storedKey, int versionsPrefixLength) {
        iterator.seek(Arrays.copyOf(storedKey, versionsPrefixLength));
        if (!iterator.isValid()) {
            return null;
        }
        byte[] found = iterator.key();
        if (found.length != versionsPrefixLength + 8
                || !Arrays.equals(found, 0, versionsPrefixLength, storedKey, 0, versionsPrefixLength)) {
            return null;
        }
        return iterator.value();
    }

    // ---- reads ----

    /** Runs one scan batch; errors (bad request, not yet safe) come back in {@code error}. */
    public ScanResponsePB scan(ScanRequestPB request) {
        try {
            long timestamp = readTimestamp(request.getReadMode(), request.getSnapshotTimestamp());
            return TabletScan.run(this, request, timestamp, options.defaultScanBatchRows());
        } catch (TabletException e) {
            return ScanResponsePB.newBuilder().setError(e.toErrorPB()).build();
        }
    }

    /**
     * XXH64, chained row by row ({@code h = XXH64(frame, seed = h)}, starting at 0), over the frames
     * {@code int32 key length, encoded key, stored row value} of every row visible at the snapshot, in key
     * order. Replicas that applied the same entries agree. A snapshot timestamp of 0 means the safe time.
     */
    public ChecksumResponsePB checksum(ChecksumRequestPB request) {
        try {
            long timestamp = readTimestamp(ReadMode.READ_AT_SNAPSHOT, request.getSnapshotTimestamp());
            long[] state = new long[2];
            visibleRows(timestamp, null, null, null, (key, value) -> {
                ByteBuffer frame = ByteBuffer.allocate(4 + key.length + value.length);
                frame.putInt(key.length).put(key).put(value);
                state[0] = XxHash64.hash(frame.array(), state[0]);
                state[1]++;
                return true;
            });
            return ChecksumResponsePB.newBuilder().setChecksum(state[0]).setRows(state[1])
                    .setSnapshotTimestamp(timestamp).build();
        } catch (TabletException e) {
            return ChecksumResponsePB.newBuilder().setError(e.toErrorPB()).build();
        }
    }

    private long readTimestamp(ReadMode mode, long requested) {
        if (mode != ReadMode.READ_AT_SNAPSHOT) {
            return newestAppliedTimestamp();
        }
        long safe = safeTime();
        if (requested == 0) {
            return safe;
        }
        if (requested > safe) {
            throw new TabletException(Code.SERVICE_UNAVAILABLE, "snapshot timestamp " + requested
                    + " is not yet safe on tablet " + tabletId + " (safe time " + safe + "); retry later");
        }
        return requested;
    }

    interface RowVisitor {
        /** Sees one visible row (encoded key, stored value); returns false to stop. */
        boolean visit(byte[] key, byte[] value);
    }

    /**
     * Calls the visitor for each row visible at {@code timestamp} with a key in [lower, upper), strictly
     * after {@code resumeAfter} when given, in key order. Null bounds are unbounded.
     */
    void visibleRows(long timestamp, byte[] lower, byte[] upper, byte[] resumeAfter, RowVisitor visitor) {
        byte[] start = TabletStore.concat(rowPrefix, lower == null ? new byte[0] : lower);
        byte[] skipKey = null;
        if (resumeAfter != null && Arrays.compareUnsigned(resumeAfter, lower == null ? new byte[0] : lower) >= 0) {
            start = TabletStore.concat(rowPrefix, resumeAfter);
            skipKey = resumeAfter;
        }
        byte[] end = upper == null ? rowEnd : TabletStore.concat(rowPrefix, upper);
        long invertedLimit = Long.MAX_VALUE - timestamp;
        useFamily();
        try (RocksIterator iterator = store.db().newIterator(rowFamily)) {
            for (iterator.seek(start); iterator.isValid(); iterator.next()) {
                byte[] stored = iterator.key();
                if (Arrays.compareUnsigned(stored, end) >= 0) {
                    break;
                }
                byte[] key = Arrays.copyOfRange(stored, rowPrefix.length, stored.length - 8);
                if (skipKey != null && Arrays.equals(key, skipKey)) {
                    continue;
                }
                long inverted = ByteBuffer.wrap(stored, stored.length - 8, 8).getLong();
                if (inverted < invertedLimit) {
                    continue; // newer than the snapshot
                }
                skipKey = key; // the newest visible version decides; older ones are skipped
                byte[] value = iterator.value();
                if (!RowCodec.isTombstone(value) && !visitor.visit(key, value)) {
                    return;
                }
            }
        } finally {
            familyUse.readLock().unlock();
        }
    }

    // ---- state machine ----

    @Override
    public OpId lastApplied() {
        return lastApplied;
    }

    @Override
    public long durableIndex() {
        return durableIndex;
    }

    void markDurable(long index) {
        durableIndex = Math.max(durableIndex, index);
    }

    /**
     * Length-prefixed records: {@code int32 n, TabletMetadataPB}, {@code int64 newest applied timestamp},
     * then for every stored key of the tablet (all versions, tombstones included) {@code int32 n, key after
     * the tablet's row prefix, int32 n, value}, ending with {@code int32 -1}, then the same for every stored
     * request outcome (key after the outcome prefix), ending with {@code int32 -1}. Held in memory: fine for
     * tablets of tens of MB; large tablets need a streamed copy.
     */
    @Override
    public ByteString snapshot() {
        ByteString.Output bytes = ByteString.newOutput();
        useFamily();
        try (DataOutputStream out = new DataOutputStream(bytes);
             RocksIterator iterator = store.db().newIterator(rowFamily);
             RocksIterator outcomes = store.db().newIterator(store.meta())) {
            byte[] metadata = metadata().toByteArray();
            out.writeInt(metadata.length);
            out.write(metadata);
            out.writeLong(newestAppliedTimestamp());
            for (iterator.seek(rowPrefix); iterator.isValid(); iterator.next()) {
                byte[] key = iterator.key();
                if (Arrays.compareUnsigned(key, rowEnd) >= 0) {
                    break;
                }
                byte[] value = iterator.value();
                out.writeInt(key.length - rowPrefix.length);
                out.write(key, rowPrefix.length, key.length - rowPrefix.length);
                out.writeInt(value.length);
                out.write(value);
            }
            out.writeInt(-1);
            // Applied request outcomes, so a retry that reaches this copy after a leader change is not applied twice.
            for (outcomes.seek(outcomePrefix); outcomes.isValid(); outcomes.next()) {
                byte[] key = outcomes.key();
                if (Arrays.compareUnsigned(key, outcomeEnd) >= 0) {
                    break;
                }
                byte[] value = outcomes.value();
                out.writeInt(key.length - outcomePrefix.length);
                out.write(key, outcomePrefix.length, key.length - outcomePrefix.length);
                out.writeInt(value.length);
                out.write(value);
            }
            out.writeInt(-1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            familyUse.readLock().unlock();
        }
        return bytes.toByteString();
    }

    /**
     * Replaces every key of the tablet with the snapshot's in one WriteBatch (a deleteRange, then the
     * rows, the metadata and the applied state {@code lastIncluded}), then flushes the store so the copy is
     * durable before the driver resets the WAL.
     */
    @Override
    public void install(ByteString snapshot, OpId lastIncluded) {
        TabletMetadataPB metadata;
        long newestTimestamp;
        useFamily();
        try (DataInputStream in = new DataInputStream(snapshot.newInput());
             WriteBatch batch = new WriteBatch()) {
            metadata = TabletMetadataPB.parseFrom(in.readNBytes(in.readInt()));
            Check.state(metadata.getTabletId().equals(tabletId), "tablet copy of %s installed into tablet %s",
                    metadata.getTabletId(), tabletId);
            newestTimestamp = in.readLong();
            store.deleteData(batch, TabletStore.prefix(tabletId), rowFamily);
            batch.put(store.meta(), TabletStore.metadataKey(TabletStore.prefix(tabletId)), metadata.toByteArray());
            for (int keyLength = in.readInt(); keyLength >= 0; keyLength = in.readInt()) {
                byte[] key = TabletStore.concat(rowPrefix, in.readNBytes(keyLength));
                batch.put(rowFamily, key, in.readNBytes(in.readInt()));
            }
            for (int keyLength = in.readInt(); keyLength >= 0; keyLength = in.readInt()) {
                byte[] key = TabletStore.concat(outcomePrefix, in.readNBytes(keyLength));
                batch.put(store.meta(), key, in.readNBytes(in.readInt()));
            }
            batch.put(store.meta(), appliedKey, appliedState(lastIncluded, newestTimestamp));
            store.write(batch);
            largestKey = readLargestKey();
        } catch (IOException e) {
            throw new UncheckedIOException("tablet " + tabletId + ": unreadable tablet copy", e);
        } catch (RocksDBException e) {
            throw TabletStore.failure("install a tablet copy into " + tabletId, e);
        } finally {
            familyUse.readLock().unlock();
        }
        definition = define(metadata);
        lastApplied = lastIncluded;
        loadOutcomes();
        clock.update(newestTimestamp);
        synchronized (mvccLock) {
            newestAppliedTimestamp = newestTimestamp;
            newestAssignedTimestamp = Math.max(newestAssignedTimestamp, newestTimestamp);
            inFlightTimestamps.clear();
            preparedByPayload.clear();
        }
        store.flush();
    }

    /** Acquires {@link #familyUse} shared (the caller releases it), or refuses a deleted tablet. */
    private void useFamily() {
        familyUse.readLock().lock();
        if (retired) {
            familyUse.readLock().unlock();
            throw new TabletException(Code.TABLET_NOT_FOUND, "tablet " + tabletId + " was deleted");
        }
    }

    /** Called by {@link TabletStore#deleteTablet} before it drops the row family: waits out the reads in progress. */
    void retire() {
        familyUse.writeLock().lock();
        try {
            retired = true;
        } finally {
            familyUse.writeLock().unlock();
        }
    }

    // ---- encoding helpers ----

    private static byte[] appliedState(OpId opId, long newestTimestamp) {
        return ByteBuffer.allocate(APPLIED_STATE_BYTES).putLong(opId.term()).putLong(opId.index())
                .putLong(newestTimestamp).array();
    }

    private static byte[] invertedTimestamp(long timestamp) {
        Check.state(timestamp >= 0, "negative timestamp %s", timestamp);
        return ByteBuffer.allocate(8).putLong(Long.MAX_VALUE - timestamp).array();
    }

    private byte[] getMeta(byte[] key) {
        try {
            return store.db().get(store.meta(), key);
        } catch (RocksDBException e) {
            throw TabletStore.failure("read tablet " + tabletId, e);
        }
    }

    @Override
    public String toString() {
        return "tablet " + tabletId + " applied " + lastApplied;
    }
}
