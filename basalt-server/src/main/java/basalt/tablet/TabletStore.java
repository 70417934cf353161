package basalt.tablet;

import basalt.common.check.Check;
import basalt.common.time.HybridClock;
import basalt.proto.Code;
import basalt.proto.TabletMetadataPB;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The storage of every tablet on one tablet server: ONE RocksDB instance with two column families,
 * tablets told apart by a key prefix: the default family holds row versions, {@code meta} holds everything
 * written per tablet rather than per row (directory, applied state, request outcomes).
 *
 * <p>Why a prefix and not a column family or a DB per tablet: a server hosts thousands of tablets. With
 * prefixes they share one memtable, one flush and one compaction schedule, so a mostly idle tablet costs
 * nothing; column families each bring their own memtable, flush and SST files and do not scale to
 * thousands, and a DB per tablet multiplies file handles and background threads. Deleting a tablet is one
 * {@code deleteRange} per family.
 *
 * <p>Why the per-tablet keys sit in a family of their own: the applied state is rewritten with every batch,
 * and it sorts before the tablet's rows (and request outcomes after them). In one family every memtable
 * flush therefore produced an L0 file spanning the whole tablet, and each L0 compaction rewrote every row
 * the tablet had: a quarter of a tablet server's CPU under sequential inserts, growing with the tablet.
 * With rows alone, a flush of ascending keys overlaps nothing below it and RocksDB moves it down without
 * rewriting it. Both families flush together ({@code atomic_flush}), so the durability argument below
 * holds across them as it did within one.
 *
 * <p>Key layout. {@code P} is a tablet's 16-byte prefix, the first 16 bytes of SHA-256 of its tablet id
 * (fixed length, so no tablet's keys are a prefix of another's; a collision is detected when a tablet is
 * created).
 * <pre>
 *   meta:    0x01 P                          TabletMetadataPB            (the directory: one key per tablet)
 *   meta:    0x02 P 0x01                     applied state: term, index, newest applied timestamp (3 x int64)
 *   default: 0x02 P 0x02 key ~timestamp      one row version: {@link RowCodec} row or tombstone
 *   meta:    0x02 P 0x04 client sequence     a request's outcome (see {@link Tablet})
 * </pre>
 * {@code key} is the {@link KeyEncoder} encoding of the primary key and {@code ~timestamp} is
 * {@code Long.MAX_VALUE - timestamp}, big-endian, so a key's versions sit together, newest first.
 *
 * <p>Durability. RocksDB's own WAL is off: the Raft WAL is the log. A tablet's applied state is written in
 * the same {@link WriteBatch} as the rows of the entry it applied, and RocksDB flushes memtables in write
 * order, every family at the same point of it ({@code atomic_flush}: a flush switches all memtables at
 * once and commits their files in one manifest write), so whatever survives a crash is a prefix of the
 * applies and its applied state says exactly which.
 * {@link #flush()} reads every open tablet's applied index, then flushes; afterwards that index is the
 * tablet's {@link Tablet#durableIndex()}, the anchor below which the driver may delete Raft WAL segments.
 * A flush RocksDB starts on its own only makes more durable than the anchor says, which is safe.
 */
public final class TabletStore implements AutoCloseable {
    static final byte DIRECTORY = 0x01;
    static final byte DATA = 0x02;
    /** After {@code DATA P}: the row versions, the only keys of the default family. */
    static final byte ROW_VERSIONS = 0x02;
    static final int PREFIX_BYTES = 16;
    static final byte[] META_FAMILY = "meta".getBytes(StandardCharsets.UTF_8);

    /**
     * @param flushOnClose flush memtables on {@link #close()}; false closes as a crash would (everything
     *                     not flushed is gone), which tests use to check recovery
     */
    public record StoreOptions(boolean flushOnClose) {
        public static final StoreOptions DEFAULT = new StoreOptions(true);
    }

    static {
        RocksDB.loadLibrary();
    }

    private final RocksDB db;
    private final ColumnFamilyHandle rows;
    private final ColumnFamilyHandle meta;
    private final List<ColumnFamilyHandle> families;
    private final Tuning tuning;
    private final WriteOptions writeOptions;
    private final StoreOptions storeOptions;
    private final Map<String, Tablet> openTablets = new ConcurrentHashMap<>();
    private final Object flushLock = new Object();

    private TabletStore(RocksDB db, List<ColumnFamilyHandle> families, Tuning tuning, StoreOptions storeOptions) {
        this.db = db;
        this.families = List.copyOf(families);
        this.rows = families.get(0);
        this.meta = families.get(1);
        this.tuning = tuning;
        this.storeOptions = storeOptions;
        this.writeOptions = new WriteOptions().setDisableWAL(true);
    }

    /**
     * The RocksDB options, held open as long as the DB (RocksDB's Java objects own native memory).
     *
     * <p>Rows: no compression in L0 and the level below it, LZ4 further down (RocksDB's tuning guide).
     * Flushes stay cheap (a memtable is flushed every few seconds to advance the durable point), and the
     * first two levels share one compression type, which RocksDB requires before it moves a file down
     * instead of rewriting it. With {@code level_compaction_dynamic_level_bytes} (RocksDB's default since
     * 8.4, set to say so) "the level below L0" is the base level, the lowest one while the store is small
     * (a few hundred MB): such a store stays uncompressed. Once it grows, levels open above the lowest and
     * rows are compressed (LZ4, the tuning guide's choice over Snappy) as they compact into it, once.
     */
    private record Tuning(DBOptions db, ColumnFamilyOptions rows, ColumnFamilyOptions meta) implements AutoCloseable {
        static Tuning of(StoreOptions storeOptions) {
            DBOptions db = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                    .setAtomicFlush(true).setAvoidFlushDuringShutdown(!storeOptions.flushOnClose());
            List<CompressionType> perLevel = new ArrayList<>();
            for (int level = 0; level < 7; level++) {
                perLevel.add(level < 2 ? CompressionType.NO_COMPRESSION : CompressionType.LZ4_COMPRESSION);
            }
            ColumnFamilyOptions rows = new ColumnFamilyOptions().setCompressionPerLevel(perLevel)
                    .setLevelCompactionDynamicLevelBytes(true);
            // A few keys per tablet, mostly overwritten before a flush: not worth compressing.
            ColumnFamilyOptions meta = new ColumnFamilyOptions().setCompressionType(CompressionType.NO_COMPRESSION);
            return new Tuning(db, rows, meta);
        }

        List<ColumnFamilyDescriptor> families() {
            return List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, rows),
                    new ColumnFamilyDescriptor(META_FAMILY, meta));
        }

        @Override
        public void close() {
            db.close();
            rows.close();
            meta.close();
        }
    }

    public static TabletStore open(Path dir) throws IOException {
        return open(dir, StoreOptions.DEFAULT);
    }

    public static TabletStore open(Path dir, StoreOptions storeOptions) throws IOException {
        Files.createDirectories(dir);
        Tuning tuning = Tuning.of(storeOptions);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        try {
            db = RocksDB.open(tuning.db(), dir.toString(), tuning.families(), handles);
        } catch (RocksDBException e) {
            tuning.close();
            throw new IOException("cannot open the tablet store in " + dir + ": " + e.getMessage(), e);
        }
        TabletStore store = new TabletStore(db, handles, tuning, storeOptions);
        try {
            store.moveTabletKeysOutOfTheRowFamily();
        } catch (RocksDBException | UncheckedIOException e) {
            store.close();
            throw new IOException("cannot move the tablet keys of the store in " + dir + " to its meta family: "
                    + e.getMessage(), e);
        }
        return store;
    }

    /**
     * A store written before the meta family existed has every key in the default family. This moves the
     * per-tablet keys (everything of a tablet but its row versions) to the meta family in one batch and
     * flushes both families atomically, so a crash leaves either the old layout, done again at the next
     * open, or the new one. Nothing to move (the usual case) costs one seek.
     */
    private void moveTabletKeysOutOfTheRowFamily() throws RocksDBException {
        try (WriteBatch batch = new WriteBatch(); RocksIterator directory = db.newIterator(rows);
             RocksIterator tabletKeys = db.newIterator(rows)) {
            for (directory.seek(new byte[] {DIRECTORY}); directory.isValid() && directory.key()[0] == DIRECTORY;
                 directory.next()) {
                byte[] key = directory.key();
                batch.put(meta, key, directory.value());
                batch.delete(rows, key);
                byte[] data = dataPrefix(Arrays.copyOfRange(key, 1, key.length));
                // Everything under DATA P but the row versions: the applied state below them, outcomes above.
                byte[][][] ranges = {
                        {concat(data, new byte[] {0x00}), concat(data, new byte[] {ROW_VERSIONS})},
                        {concat(data, new byte[] {ROW_VERSIONS + 1}), concat(data, new byte[] {(byte) 0xFF})}};
                for (byte[][] range : ranges) {
                    for (tabletKeys.seek(range[0]); tabletKeys.isValid()
                            && Arrays.compareUnsigned(tabletKeys.key(), range[1]) < 0; tabletKeys.next()) {
                        batch.put(meta, tabletKeys.key(), tabletKeys.value());
                        batch.delete(rows, tabletKeys.key());
                    }
                }
            }
            if (batch.count() > 0) {
                write(batch);
                flush();
            }
        }
    }

    /** Creates a tablet: persists its metadata (durably) and opens it. Refuses a tablet id already here. */
    public Tablet createTablet(TabletMetadataPB metadata, HybridClock clock, TabletOptions tabletOptions) {
        byte[] prefix = prefix(metadata.getTabletId());
        synchronized (openTablets) {
            TabletMetadataPB existing = readMetadata(prefix);
            if (existing != null) {
                throw new TabletException(existing.getTabletId().equals(metadata.getTabletId())
                        ? Code.ALREADY_PRESENT : Code.INTERNAL,
                        "tablet " + existing.getTabletId() + " already exists with the key prefix of tablet "
                                + metadata.getTabletId());
            }
            Tablet tablet = new Tablet(this, prefix, metadata, clock, tabletOptions);
            // The one write that goes through RocksDB's own WAL, synced: a new tablet's metadata is durable
            // at once without flushing every tablet's memtable (which made CreateTable wait tens of ms).
            try (WriteBatch batch = new WriteBatch(); WriteOptions durable = new WriteOptions().setSync(true)) {
                batch.put(meta, metadataKey(prefix), metadata.toByteArray());
                db.write(durable, batch);
            } catch (RocksDBException e) {
                throw failure("create tablet " + metadata.getTabletId(), e);
            }
            openTablets.put(metadata.getTabletId(), tablet);
            return tablet;
        }
    }

    /** Opens a tablet that exists in this store; its applied state is what survived on disk. */
    public Tablet openTablet(String tabletId, HybridClock clock, TabletOptions tabletOptions) {
        byte[] prefix = prefix(tabletId);
        synchronized (openTablets) {
            Tablet open = openTablets.get(tabletId);
            if (open != null) {
                return open;
            }
            TabletMetadataPB metadata = readMetadata(prefix);
            if (metadata == null || !metadata.getTabletId().equals(tabletId)) {
                throw new TabletException(Code.TABLET_NOT_FOUND, "no tablet " + tabletId + " in this store");
            }
            Tablet tablet = new Tablet(this, prefix, metadata, clock, tabletOptions);
            openTablets.put(tabletId, tablet);
            return tablet;
        }
    }

    /** The metadata of every tablet in the store, in prefix order. */
    public List<TabletMetadataPB> listTablets() {
        List<TabletMetadataPB> tablets = new ArrayList<>();
        try (RocksIterator iterator = db.newIterator(meta)) {
            for (iterator.seek(new byte[] {DIRECTORY}); iterator.isValid() && iterator.key()[0] == DIRECTORY;
                 iterator.next()) {
                tablets.add(parseMetadata(iterator.value()));
            }
        }
        return tablets;
    }

    /** Removes every key of the tablet (directory entry, applied state, all row versions), durably. */
    public void deleteTablet(String tabletId) {
        byte[] prefix = prefix(tabletId);
        synchronized (openTablets) {
            openTablets.remove(tabletId);
            try (WriteBatch batch = new WriteBatch()) {
                deleteTabletKeys(batch, prefix);
                write(batch);
            } catch (RocksDBException e) {
                throw failure("delete tablet " + tabletId, e);
            }
            flush();
        }
    }

    /**
     * Flushes every memtable of both families to SST files, atomically, and waits. Each open tablet's
     * durable index becomes its applied index as read before the flush began (the applies before that read
     * are in the flushed memtables).
     */
    public void flush() {
        synchronized (flushLock) {
            List<Tablet> tablets = List.copyOf(openTablets.values());
            long[] appliedBefore = new long[tablets.size()];
            for (int i = 0; i < tablets.size(); i++) {
                appliedBefore[i] = tablets.get(i).lastApplied().index();
            }
            try (FlushOptions flushOptions = new FlushOptions().setWaitForFlush(true)) {
                db.flush(flushOptions, families);
            } catch (RocksDBException e) {
                throw failure("flush", e);
            }
            for (int i = 0; i < tablets.size(); i++) {
                tablets.get(i).markDurable(appliedBefore[i]);
            }
        }
    }

    @Override
    public void close() {
        if (storeOptions.flushOnClose()) {
            flush();
        }
        openTablets.clear();
        writeOptions.close();
        families.forEach(ColumnFamilyHandle::close);
        db.close();
        tuning.close();
    }

    // ---- for Tablet ----

    /** The DB; its default column family holds the row versions. */
    RocksDB db() {
        return db;
    }

    /** The family of per-tablet keys: directory, applied state, request outcomes. */
    ColumnFamilyHandle meta() {
        return meta;
    }

    void write(WriteBatch batch) throws RocksDBException {
        db.write(writeOptions, batch);
    }

    /** Puts into the batch the deletion of every key of the tablet but its directory entry, in both families. */
    void deleteData(WriteBatch batch, byte[] prefix) throws RocksDBException {
        byte[] start = concat(dataPrefix(prefix), new byte[] {0x00});
        byte[] end = concat(dataPrefix(prefix), new byte[] {(byte) 0xFF});
        batch.deleteRange(rows, start, end);
        batch.deleteRange(meta, start, end);
    }

    /** Puts into the batch the deletion of every key of the tablet, its directory entry included. */
    void deleteTabletKeys(WriteBatch batch, byte[] prefix) throws RocksDBException {
        batch.delete(meta, metadataKey(prefix));
        deleteData(batch, prefix);
    }

    static byte[] prefix(String tabletId) {
        Check.arg(!tabletId.isEmpty(), "a tablet id must not be empty");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(tabletId.getBytes(StandardCharsets.UTF_8));
            return Arrays.copyOf(digest, PREFIX_BYTES);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    static byte[] metadataKey(byte[] prefix) {
        return concat(new byte[] {DIRECTORY}, prefix);
    }

    static byte[] dataPrefix(byte[] prefix) {
        return concat(new byte[] {DATA}, prefix);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] result = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }

    static UncheckedIOException failure(String what, RocksDBException e) {
        return new UncheckedIOException(new IOException("tablet store: " + what + " failed: " + e.getMessage(), e));
    }

    private TabletMetadataPB readMetadata(byte[] prefix) {
        try {
            byte[] bytes = db.get(meta, metadataKey(prefix));
            return bytes == null ? null : parseMetadata(bytes);
        } catch (RocksDBException e) {
            throw failure("read tablet metadata", e);
        }
    }

    private static TabletMetadataPB parseMetadata(byte[] bytes) {
        try {
            return TabletMetadataPB.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new TabletException(Code.CORRUPTION, "corrupt tablet metadata: " + e.getMessage());
        }
    }
}
