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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage of every tablet on one tablet server: ONE RocksDB instance. Each tablet's row versions sit in
 * a column family of their own (a row family, {@code r-} and a number); the {@code meta} family,
 * shared, holds everything written per tablet rather than per row (directory, applied state, request
 * outcomes); the default family holds nothing (RocksDB requires it; rows of older stores are moved out of
 * it on open).
 *
 * <p>Why a family per tablet and not one shared row family with the tablets told apart by key prefix, as
 * this store first had it: the shared family was cheap per idle tablet (one memtable, one flush), but a
 * flush wrote ONE L0 file spanning every tablet that had writes, so consecutive L0 files overlapped each
 * other and the whole base level, and every L0 compaction rewrote the rows of every tablet: measured at
 * ~38% of the tablet servers' CPU with three tablets per server under sequential inserts (4-5% with one),
 * growing with the data. With a family per tablet a flush writes one file per tablet, a tablet's ascending
 * inserts overlap nothing below them, and RocksDB moves the files down without rewriting them (Kudu does
 * the same in effect: it flushes per tablet). What we pay: a memtable, a flush and SST files per tablet.
 * Memtables share one budget ({@link StoreOptions#memtableBudgetBytes}, RocksDB's write buffer manager,
 * which flushes when the total reaches it), so an idle tablet's memtable costs little; a family is one
 * MANIFEST record, and a share of an OPTIONS file rewrite, to create or drop (see {@link #FAMILY_BATCH}:
 * families are created ahead in batches and dropped in batches). Why not a DB per tablet: that multiplies WALs, file handles and
 * background threads, and loses the one atomic flush the durability argument below rests on.
 *
 * <p>Why the per-tablet keys sit in a family of their own: the applied state is rewritten with every batch,
 * and it would sort before the tablet's rows (and request outcomes after them): every flushed file would
 * span the whole tablet, and each L0 compaction would rewrite every row it had.
 *
 * <p>Key layout. {@code P} is a tablet's 16-byte prefix, the first 16 bytes of SHA-256 of its tablet id
 * (fixed length, so no tablet's keys are a prefix of another's; a collision is detected when a tablet is
 * created).
 * <pre>
 *   meta:    0x00 "rows in tablet families"  (empty)  marks a store in this layout (see {@link #open})
 *   meta:    0x01 P                          TabletMetadataPB            (the directory: one key per tablet)
 *   meta:    0x02 P 0x01                     applied state: term, index, newest applied timestamp (3 x int64)
 *   r-N:     0x02 P 0x02 key ~timestamp      one row version: {@link RowCodec} row or tombstone
 *   meta:    0x02 P 0x04 client sequence     a request's outcome (see {@link Tablet})
 *   meta:    0x03 P                          "r-N", the name of the tablet's row family
 * </pre>
 * {@code key} is the {@link KeyEncoder} encoding of the primary key and {@code ~timestamp} is
 * {@code Long.MAX_VALUE - timestamp}, big-endian, so a key's versions sit together, newest first. The row
 * keys keep the tablet's prefix although their family already names the tablet: moving rows out of the
 * shared layout then copies keys unchanged, a tablet copy's format is the same, and SST blocks
 * prefix-compress the 18 shared bytes away (they cost memtable bytes only).
 *
 * <p>Life of a family. Families are created empty, {@link #FAMILY_BATCH} at a time, before the tablets
 * that take them; creating a tablet writes its directory entry and its family's name in one synced batch.
 * Deleting it deletes both (durably, with a flush); the family is dropped later, in a batch. Open drops
 * every family no tablet names (spares, deleted tablets', a crash's). A named family that is missing cannot
 * arise that way, so in a store marked as this layout it is damage, and open fails naming the tablet.
 *
 * <p>Durability. RocksDB's own WAL is off: the Raft WAL is the log. A tablet's applied state is written in
 * the same {@link WriteBatch} as the rows of the entry it applied, and RocksDB flushes memtables in write
 * order, every family at the same point of it ({@code atomic_flush}: a flush, whether asked for, or started
 * by RocksDB because a memtable or the shared budget filled, switches the memtables of all families at
 * once and commits their files in one manifest write), so whatever survives a crash is a prefix of the
 * applies and its applied state says exactly which.
 * {@link #flush()} reads every open tablet's applied index, then flushes every family; afterwards that
 * index is the tablet's {@link Tablet#durableIndex()}, the anchor below which the driver may delete Raft
 * WAL segments. A flush RocksDB starts on its own only makes more durable than the anchor says, which is
 * safe. A family is created and dropped only under the flush lock, so a flush never misses a family that
 * holds applied rows.
 */
public final class TabletStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TabletStore.class);
    static final byte DIRECTORY = 0x01;
    static final byte DATA = 0x02;
    /** After {@code DATA P}: the row versions, the only keys of a tablet's family. */
    static final byte ROW_VERSIONS = 0x02;
    static final int PREFIX_BYTES = 16;
    static final byte[] META_FAMILY = "meta".getBytes(StandardCharsets.UTF_8);
    /** Meta key {@code 0x03 P}: the name of the tablet's row family. */
    static final byte ROW_FAMILY = 0x03;
    static final String ROW_FAMILY_PREFIX = "r-";
    /**
     * Row families are created this many at a time, ahead of the tablets that take them, and the families of
     * deleted tablets dropped this many at a time: RocksDB rewrites its OPTIONS file (every family's options,
     * ~4 KB each) after every create or drop call, so one call per tablet made creating a tablet cost time
     * linear in the tablets already there (32 ms at 200, 256 ms at 1,000 measured; CreateTable/s halved).
     */
    static final int FAMILY_BATCH = 32;
    /** The longest a deleted tablet's family (and its files) waits for a batch to fill before it is dropped. */
    static final long DROP_DELAY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    /** In meta: present once every tablet's rows have a family of their own (so a missing family is damage). */
    static final byte[] LAYOUT_KEY = concat(new byte[] {0x00}, "rows in tablet families".getBytes(StandardCharsets.UTF_8));
    /** Keys per WriteBatch when moving rows of an older store into their tablets' families. */
    static final int MOVE_CHUNK_KEYS = 10_000;

    /**
     * @param flushOnClose        flush memtables on {@link #close()}; false closes as a crash would (everything
     *                            not flushed is gone), which tests use to check recovery
     * @param memtableBudgetBytes the memtable memory of all families together; reaching it flushes them
     */
    public record StoreOptions(boolean flushOnClose, long memtableBudgetBytes) {
        public static final long DEFAULT_MEMTABLE_BUDGET_BYTES = 256L << 20;
        /** One family's memtable: RocksDB's default, and the largest a budget share is worth. */
        static final long FAMILY_WRITE_BUFFER_BYTES = 64L << 20;
        public static final StoreOptions DEFAULT = new StoreOptions(true, DEFAULT_MEMTABLE_BUDGET_BYTES);

        public StoreOptions {
            Check.arg(memtableBudgetBytes >= FAMILY_WRITE_BUFFER_BYTES,
                    "the memtable budget of %s bytes is below one tablet's memtable (%s bytes)",
                    memtableBudgetBytes, FAMILY_WRITE_BUFFER_BYTES);
        }

        public StoreOptions(boolean flushOnClose) {
            this(flushOnClose, DEFAULT_MEMTABLE_BUDGET_BYTES);
        }
    }

    static {
        RocksDB.loadLibrary();
    }

    private final RocksDB db;
    /** Empty in this layout; kept open because RocksDB requires it. */
    private final ColumnFamilyHandle defaultFamily;
    private final ColumnFamilyHandle meta;
    /**
     * Every row family by name: tablets', spares and those waiting to be dropped. Changed only under
     * {@link #flushLock}, like the three fields below.
     */
    private final Map<String, ColumnFamilyHandle> rowFamilies = new ConcurrentHashMap<>();
    /** Created, empty, and no tablet's yet. */
    private final java.util.ArrayDeque<String> spareFamilies = new java.util.ArrayDeque<>();
    /** Of deleted tablets: their directory entries are gone and durably so; dropped in batches. */
    private final List<String> familiesToDrop = new ArrayList<>();
    private long firstToDropNanos;
    private long nextFamilyNumber;
    private final Tuning tuning;
    private final WriteOptions writeOptions;
    private final StoreOptions storeOptions;
    private final Map<String, Tablet> openTablets = new ConcurrentHashMap<>();
    private final Object flushLock = new Object();

    private TabletStore(RocksDB db, List<ColumnFamilyDescriptor> descriptors, List<ColumnFamilyHandle> handles,
                        Tuning tuning, StoreOptions storeOptions) {
        this.db = db;
        this.defaultFamily = handles.get(0);
        this.meta = handles.get(1);
        for (int i = 2; i < handles.size(); i++) {
            String name = new String(descriptors.get(i).getName(), StandardCharsets.UTF_8);
            rowFamilies.put(name, handles.get(i));
            nextFamilyNumber = Math.max(nextFamilyNumber, Long.parseLong(name.substring(ROW_FAMILY_PREFIX.length())) + 1);
        }
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
     * 8.4, set to say so) "the level below L0" is the base level, the lowest one while the tablet is small
     * (a few hundred MB): such a tablet stays uncompressed. Once it grows, levels open above the lowest and
     * rows are compressed (LZ4, the tuning guide's choice over Snappy) as they compact into it, once.
     */
    private record Tuning(DBOptions db, ColumnFamilyOptions rows, ColumnFamilyOptions meta) implements AutoCloseable {
        static Tuning of(StoreOptions storeOptions) {
            DBOptions db = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                    .setAtomicFlush(true).setAvoidFlushDuringShutdown(!storeOptions.flushOnClose())
                    .setDbWriteBufferSize(storeOptions.memtableBudgetBytes());
            List<CompressionType> perLevel = new ArrayList<>();
            for (int level = 0; level < 7; level++) {
                perLevel.add(level < 2 ? CompressionType.NO_COMPRESSION : CompressionType.LZ4_COMPRESSION);
            }
            ColumnFamilyOptions rows = new ColumnFamilyOptions().setCompressionPerLevel(perLevel)
                    .setLevelCompactionDynamicLevelBytes(true)
                    .setWriteBufferSize(StoreOptions.FAMILY_WRITE_BUFFER_BYTES);
            // A few keys per tablet, mostly overwritten before a flush: not worth compressing.
            ColumnFamilyOptions meta = new ColumnFamilyOptions().setCompressionType(CompressionType.NO_COMPRESSION);
            return new Tuning(db, rows, meta);
        }

        /** Default and meta first, then every tablet family the store has. */
        List<ColumnFamilyDescriptor> families(List<byte[]> existing, Path dir) throws IOException {
            List<ColumnFamilyDescriptor> families = new ArrayList<>(List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, rows),
                    new ColumnFamilyDescriptor(META_FAMILY, meta)));
            for (byte[] name : existing) {
                if (Arrays.equals(name, RocksDB.DEFAULT_COLUMN_FAMILY) || Arrays.equals(name, META_FAMILY)) {
                    continue;
                }
                String text = new String(name, StandardCharsets.UTF_8);
                if (!text.matches(ROW_FAMILY_PREFIX + "[0-9]{1,18}")) {
                    throw new IOException("the tablet store in " + dir + " has a column family '" + text
                            + "' that is neither meta nor a row family");
                }
                families.add(new ColumnFamilyDescriptor(name, rows));
            }
            return families;
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

    /**
     * Opens (or creates) the store. Older layouts are brought to this one first: per-tablet keys still in
     * the default family move to meta, every tablet in the directory gets its family and its rows move
     * there from the default family. A family no tablet owns (a crash mid create or delete) is dropped.
     */
    public static TabletStore open(Path dir, StoreOptions storeOptions) throws IOException {
        Files.createDirectories(dir);
        Tuning tuning = Tuning.of(storeOptions);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        List<ColumnFamilyDescriptor> descriptors;
        RocksDB db;
        try {
            descriptors = tuning.families(existingFamilies(dir), dir);
            db = RocksDB.open(tuning.db(), dir.toString(), descriptors, handles);
        } catch (RocksDBException | IOException e) {
            tuning.close();
            throw new IOException("cannot open the tablet store in " + dir + ": " + e.getMessage(), e);
        }
        TabletStore store = new TabletStore(db, descriptors, handles, tuning, storeOptions);
        try {
            store.moveTabletKeysOutOfTheRowFamily();
            store.matchFamiliesToTheDirectory();
            store.moveRowsIntoTheirTabletFamilies();
        } catch (RocksDBException | IOException | RuntimeException e) {
            store.close();
            throw new IOException("cannot bring the tablet store in " + dir + " to its current layout: "
                    + e.getMessage(), e);
        }
        return store;
    }

    private static List<byte[]> existingFamilies(Path dir) throws RocksDBException {
        if (!Files.exists(dir.resolve("CURRENT"))) {
            return List.of(); // a new store
        }
        try (Options options = new Options()) {
            return RocksDB.listColumnFamilies(options, dir.toString());
        }
    }

    /**
     * A store written before the meta family existed has every key in the default family. This moves the
     * per-tablet keys (everything of a tablet but its row versions) to the meta family in one batch and
     * flushes both families atomically, so a crash leaves either the old layout, done again at the next
     * open, or the new one. Nothing to move (the usual case) costs one seek.
     */
    private void moveTabletKeysOutOfTheRowFamily() throws RocksDBException {
        try (WriteBatch batch = new WriteBatch(); RocksIterator directory = db.newIterator(defaultFamily);
             RocksIterator tabletKeys = db.newIterator(defaultFamily)) {
            for (directory.seek(new byte[] {DIRECTORY}); directory.isValid() && directory.key()[0] == DIRECTORY;
                 directory.next()) {
                byte[] key = directory.key();
                batch.put(meta, key, directory.value());
                batch.delete(defaultFamily, key);
                byte[] data = dataPrefix(Arrays.copyOfRange(key, 1, key.length));
                // Everything under DATA P but the row versions: the applied state below them, outcomes above.
                byte[][][] ranges = {
                        {concat(data, new byte[] {0x00}), concat(data, new byte[] {ROW_VERSIONS})},
                        {concat(data, new byte[] {ROW_VERSIONS + 1}), concat(data, new byte[] {(byte) 0xFF})}};
                for (byte[][] range : ranges) {
                    for (tabletKeys.seek(range[0]); tabletKeys.isValid()
                            && Arrays.compareUnsigned(tabletKeys.key(), range[1]) < 0; tabletKeys.next()) {
                        batch.put(meta, tabletKeys.key(), tabletKeys.value());
                        batch.delete(defaultFamily, tabletKeys.key());
                    }
                }
            }
            if (batch.count() > 0) {
                write(batch);
                flush();
            }
        }
    }

    /**
     * Gives every tablet of the directory its row family and drops the families no tablet has (spares and
     * families of deleted tablets from before a restart, leftovers of a crash). A store not yet marked as
     * this layout (written before tablet families, or a new one) gets families created empty for the
     * tablets without one (their rows, if any, are still in the default family), then, in one synced batch,
     * the tablets' family names and the mark; in a marked store a tablet without its family is damage.
     */
    private void matchFamiliesToTheDirectory() throws RocksDBException, IOException {
        boolean marked = db.get(meta, LAYOUT_KEY) != null;
        java.util.Set<String> owned = new java.util.HashSet<>();
        List<byte[]> missing = new ArrayList<>();
        try (RocksIterator directory = db.newIterator(meta)) {
            for (directory.seek(new byte[] {DIRECTORY}); directory.isValid() && directory.key()[0] == DIRECTORY;
                 directory.next()) {
                byte[] prefix = Arrays.copyOfRange(directory.key(), 1, directory.key().length);
                byte[] name = db.get(meta, rowFamilyKey(prefix));
                if (name == null && !marked) {
                    missing.add(prefix);
                } else if (name == null || !rowFamilies.containsKey(new String(name, StandardCharsets.UTF_8))) {
                    throw new IOException("tablet " + parseMetadata(directory.value()).getTabletId()
                            + " is in the store's directory but its row column family "
                            + (name == null ? "is not named" : new String(name, StandardCharsets.UTF_8) + " is missing")
                            + ": the store is damaged");
                } else {
                    owned.add(new String(name, StandardCharsets.UTF_8));
                }
            }
            directory.status();
        }
        List<String> unowned = rowFamilies.keySet().stream().filter(name -> !owned.contains(name)).toList();
        if (!unowned.isEmpty()) {
            LOG.info("dropping {} row column families no tablet has (spares, deleted tablets', a crash's)", unowned.size());
            dropFamilies(unowned);
        }
        if (!marked) {
            List<String> created = createFamilies(missing.size());
            try (WriteBatch batch = new WriteBatch(); WriteOptions durable = new WriteOptions().setSync(true)) {
                for (int i = 0; i < missing.size(); i++) {
                    batch.put(meta, rowFamilyKey(missing.get(i)), created.get(i).getBytes(StandardCharsets.UTF_8));
                }
                batch.put(meta, LAYOUT_KEY, new byte[0]);
                db.write(durable, batch);
            }
        }
    }

    /**
     * A store written before tablet families has its rows in the default family. This moves them to their
     * tablets' families in batches of {@link #MOVE_CHUNK_KEYS} keys, each batch putting into the family and
     * deleting from the default one (a crash loses whole batches, and the next open resumes), then flushes.
     * Rows of no tablet (none are expected: deleting a tablet deleted its rows) are deleted. An empty default
     * family (the usual case) costs one seek.
     */
    private void moveRowsIntoTheirTabletFamilies() throws RocksDBException {
        long moved = 0;
        long orphaned = 0;
        try (RocksIterator iterator = db.newIterator(defaultFamily)) {
            iterator.seekToFirst();
            Map<String, ColumnFamilyHandle> familyByPrefix = new java.util.HashMap<>();
            if (iterator.isValid()) {
                for (TabletMetadataPB tablet : listTablets()) {
                    byte[] prefix = prefix(tablet.getTabletId());
                    familyByPrefix.put(HexFormat.of().formatHex(prefix), rowFamily(prefix));
                }
            }
            while (iterator.isValid()) {
                try (WriteBatch batch = new WriteBatch()) {
                    for (int keys = 0; keys < MOVE_CHUNK_KEYS && iterator.isValid(); keys++, iterator.next()) {
                        byte[] key = iterator.key();
                        ColumnFamilyHandle family = key.length > 1 + PREFIX_BYTES && key[0] == DATA
                                ? familyByPrefix.get(HexFormat.of().formatHex(key, 1, 1 + PREFIX_BYTES))
                                : null;
                        if (family != null) {
                            batch.put(family, key, iterator.value());
                            moved++;
                        } else {
                            orphaned++;
                        }
                        batch.delete(defaultFamily, key);
                    }
                    write(batch);
                }
            }
            iterator.status();
        }
        if (moved + orphaned > 0) {
            flush();
            LOG.info("moved {} row versions into their tablets' column families; deleted {} of no tablet",
                    moved, orphaned);
        }
    }

    /**
     * Creates a tablet: its row family, then its metadata (durably), and opens it. Refuses a tablet id
     * already here.
     */
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
            String family;
            try {
                family = takeSpareFamily();
            } catch (RocksDBException e) {
                throw failure("create row column families for tablet " + metadata.getTabletId(), e);
            }
            ColumnFamilyHandle rows = rowFamilies.get(family);
            Tablet tablet;
            // The one write that goes through RocksDB's own WAL, synced: a new tablet's metadata is durable
            // at once without flushing every tablet's memtable (which made CreateTable wait tens of ms).
            try (WriteBatch batch = new WriteBatch(); WriteOptions durable = new WriteOptions().setSync(true)) {
                tablet = new Tablet(this, prefix, rows, metadata, clock, tabletOptions); // refuses bad metadata
                batch.put(meta, metadataKey(prefix), metadata.toByteArray());
                batch.put(meta, rowFamilyKey(prefix), family.getBytes(StandardCharsets.UTF_8));
                db.write(durable, batch);
            } catch (RocksDBException e) {
                returnSpareFamily(family); // nothing was written to it
                throw failure("create tablet " + metadata.getTabletId(), e);
            } catch (RuntimeException e) {
                returnSpareFamily(family);
                throw e;
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
            Tablet tablet = new Tablet(this, prefix, rowFamily(prefix), metadata, clock, tabletOptions);
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

    /**
     * Removes the tablet: its keys in meta (directory entry, family name, applied state, outcomes),
     * durably; its row family is dropped with the next {@link #FAMILY_BATCH} deleted tablets' or after
     * {@link #DROP_DELAY_NANOS}, whichever comes first (see {@link #flush()}), or at the next open. An
     * open {@link Tablet} of it refuses reads from now on.
     */
    public void deleteTablet(String tabletId) {
        byte[] prefix = prefix(tabletId);
        synchronized (openTablets) {
            Tablet open = openTablets.remove(tabletId);
            if (open != null) {
                open.retire();
            }
            byte[] family;
            try (WriteBatch batch = new WriteBatch()) {
                family = db.get(meta, rowFamilyKey(prefix));
                batch.delete(meta, metadataKey(prefix));
                batch.delete(meta, rowFamilyKey(prefix));
                deleteDataKeys(batch, meta, prefix); // its rows go with its family
                write(batch);
            } catch (RocksDBException e) {
                throw failure("delete tablet " + tabletId, e);
            }
            flush();
            if (family != null) {
                synchronized (flushLock) {
                    if (familiesToDrop.isEmpty()) {
                        firstToDropNanos = System.nanoTime();
                    }
                    familiesToDrop.add(new String(family, StandardCharsets.UTF_8));
                    if (familiesToDrop.size() >= FAMILY_BATCH) {
                        dropDeletedTabletsFamilies();
                    }
                }
            }
        }
    }

    /**
     * Flushes every memtable of every family to SST files, atomically, and waits. Each open tablet's
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
            List<ColumnFamilyHandle> families = new ArrayList<>(rowFamilies.size() + 2);
            families.add(defaultFamily);
            families.add(meta);
            families.addAll(rowFamilies.values());
            try (FlushOptions flushOptions = new FlushOptions().setWaitForFlush(true)) {
                db.flush(flushOptions, families);
            } catch (RocksDBException e) {
                throw failure("flush", e);
            }
            for (int i = 0; i < tablets.size(); i++) {
                tablets.get(i).markDurable(appliedBefore[i]);
            }
            if (!familiesToDrop.isEmpty() && System.nanoTime() - firstToDropNanos >= DROP_DELAY_NANOS) {
                dropDeletedTabletsFamilies();
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
        rowFamilies.values().forEach(ColumnFamilyHandle::close);
        defaultFamily.close();
        meta.close();
        db.close();
        tuning.close();
    }

    // ---- for Tablet ----

    /** The DB; each tablet's rows are in its own family, see {@link #createTablet}. */
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

    /** Puts into the batch the deletion of every key of the tablet but its directory entry: rows and meta. */
    void deleteData(WriteBatch batch, byte[] prefix, ColumnFamilyHandle rows) throws RocksDBException {
        deleteDataKeys(batch, rows, prefix);
        deleteDataKeys(batch, meta, prefix);
    }

    /** Puts into the batch the deletion of every key under {@code DATA P} in one family. */
    private static void deleteDataKeys(WriteBatch batch, ColumnFamilyHandle family, byte[] prefix)
            throws RocksDBException {
        batch.deleteRange(family, concat(dataPrefix(prefix), new byte[] {0x00}),
                concat(dataPrefix(prefix), new byte[] {(byte) 0xFF}));
    }

    // ---- tablet families ----

    static byte[] rowFamilyKey(byte[] prefix) {
        return concat(new byte[] {ROW_FAMILY}, prefix);
    }

    /** The row family of a tablet in the directory. */
    private ColumnFamilyHandle rowFamily(byte[] prefix) {
        String name = rowFamilyName(prefix);
        ColumnFamilyHandle family = name == null ? null : rowFamilies.get(name);
        Check.state(family != null, "tablet with prefix %s has no row family (named %s)",
                HexFormat.of().formatHex(prefix), name);
        return family;
    }

    /** The name of the tablet's row family, or null when the tablet has none; for tests too. */
    String rowFamilyName(byte[] prefix) {
        try {
            byte[] name = db.get(meta, rowFamilyKey(prefix));
            return name == null ? null : new String(name, StandardCharsets.UTF_8);
        } catch (RocksDBException e) {
            throw failure("read the row family of a tablet", e);
        }
    }

    /** The names of the open row families (tablets', spares, deleted tablets' not yet dropped); for tests. */
    java.util.Set<String> rowFamilyNames() {
        return java.util.Set.copyOf(rowFamilies.keySet());
    }

    /** A created, empty family for a new tablet; creates {@link #FAMILY_BATCH} when there is none. */
    private String takeSpareFamily() throws RocksDBException {
        synchronized (flushLock) {
            if (spareFamilies.isEmpty()) {
                spareFamilies.addAll(createFamilies(FAMILY_BATCH));
            }
            return spareFamilies.pop();
        }
    }

    private void returnSpareFamily(String name) {
        synchronized (flushLock) {
            spareFamilies.push(name);
        }
    }

    /** Creates that many row families in one RocksDB call (one OPTIONS rewrite); returns their names. */
    private List<String> createFamilies(int count) throws RocksDBException {
        if (count == 0) {
            return List.of();
        }
        synchronized (flushLock) {
            List<String> names = new ArrayList<>(count);
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                names.add(ROW_FAMILY_PREFIX + nextFamilyNumber++);
                descriptors.add(new ColumnFamilyDescriptor(names.getLast().getBytes(StandardCharsets.UTF_8), tuning.rows()));
            }
            List<ColumnFamilyHandle> handles = db.createColumnFamilies(descriptors);
            for (int i = 0; i < count; i++) {
                rowFamilies.put(names.get(i), handles.get(i));
            }
            return names;
        }
    }

    /** Caller holds {@link #flushLock}. A failed drop is done again at the next open. */
    private void dropDeletedTabletsFamilies() {
        List<String> names = List.copyOf(familiesToDrop);
        familiesToDrop.clear();
        try {
            dropFamilies(names);
        } catch (RocksDBException e) {
            LOG.warn("cannot drop the row families {} of deleted tablets (the next open drops them): {}", names,
                    e.getMessage());
        }
    }

    /**
     * Drops the families in one RocksDB call and closes their handles, which lets RocksDB delete their
     * files. No open {@link Tablet} uses them: their tablets were retired when deleted, or never opened.
     */
    private void dropFamilies(List<String> names) throws RocksDBException {
        synchronized (flushLock) {
            List<ColumnFamilyHandle> handles = names.stream().map(rowFamilies::remove).toList();
            try {
                db.dropColumnFamilies(handles);
            } finally {
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
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
