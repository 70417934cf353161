package basalt.master.catalog;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.consensus.driver.StateMachine;
import basalt.proto.CatalogOpPB;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * The catalog group's state machine on every master: applies committed {@link CatalogOpPB}s to the
 * in-memory {@link CatalogState} (a hot standby on followers, so a new leader reloads nothing), and makes
 * it durable by writing the whole catalog to {@code catalog-snapshot} on {@link #flush()} (temp file,
 * fsync, rename, fsync of the directory). The snapshot's index is the durable point that anchors the
 * catalog's WAL. A snapshot that fails its CRC stops the master with a message naming the file.
 */
public final class CatalogStateMachine implements StateMachine {
    private static final int MAGIC = 0x42434154; // "BCAT"

    private final Path snapshotFile;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private CatalogState state;
    private volatile OpId lastApplied;
    private volatile long durableIndex;
    /** Flush when this many entries were applied since the last flush. */
    static final long FLUSH_AFTER_ENTRIES = 1_000;
    /** Or when an applied entry has waited this long for a flush. */
    static final long FLUSH_AFTER_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    // When flushIfDue last flushed; only the flushing thread touches it.
    private long lastFlushNanos = System.nanoTime();
    /** Told the new address book of the masters whenever an applied op (or a tablet copy) changes it. */
    private volatile java.util.function.Consumer<java.util.Map<String, basalt.proto.PeerPB>> addressBookListener =
            book -> { };

    private CatalogStateMachine(Path snapshotFile, CatalogState state, OpId lastApplied) {
        this.snapshotFile = snapshotFile;
        this.state = state;
        this.lastApplied = lastApplied;
        this.durableIndex = lastApplied.index();
    }

    /** Loads the last flushed catalog from {@code dir}, or starts empty when there is none. */
    public static CatalogStateMachine open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("catalog-snapshot");
        if (!Files.exists(file)) {
            return new CatalogStateMachine(file, new CatalogState(), OpId.ZERO);
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        if (bytes.remaining() < 4 + 4 + 8 + 8) {
            throw new IOException("catalog snapshot " + file + " is truncated (" + bytes.remaining() + " bytes)");
        }
        int magic = bytes.getInt();
        int crc = bytes.getInt();
        if (magic != MAGIC) {
            throw new IOException("catalog snapshot " + file + " has a bad magic number " + Integer.toHexString(magic));
        }
        CRC32C check = new CRC32C();
        check.update(bytes.duplicate());
        if ((int) check.getValue() != crc) {
            throw new IOException("catalog snapshot " + file + " fails its CRC32C check: it is corrupt");
        }
        OpId applied = new OpId(bytes.getLong(), bytes.getLong());
        CatalogState state = CatalogState.fromSnapshot(ByteString.copyFrom(bytes));
        return new CatalogStateMachine(file, state, applied);
    }

    @Override
    public Object apply(Entry entry) {
        if (entry.index() <= lastApplied.index()) {
            return null; // in the snapshot already (replay after a restart)
        }
        CatalogOpPB op = null;
        if (entry.type() == EntryType.NORMAL) {
            try {
                op = CatalogOpPB.parseFrom(entry.payload());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("catalog entry " + entry.opId() + " does not parse", e);
            }
        }
        lock.writeLock().lock();
        try {
            if (op != null) {
                state.apply(op);
            }
            lastApplied = entry.opId();
        } finally {
            lock.writeLock().unlock();
        }
        if (op != null && op.hasMasterAddressBook()) {
            addressBookListener.accept(read(CatalogState::masterAddresses));
        }
        return op;
    }

    /** Registers who hears of address book changes; told the current book at once. */
    public void onAddressBookChange(java.util.function.Consumer<java.util.Map<String, basalt.proto.PeerPB>> listener) {
        addressBookListener = listener;
        java.util.Map<String, basalt.proto.PeerPB> current = read(CatalogState::masterAddresses);
        if (!current.isEmpty()) {
            listener.accept(current);
        }
    }

    /** Runs {@code query} against the catalog under the read lock. */
    public <T> T read(Function<CatalogState, T> query) {
        lock.readLock().lock();
        try {
            return query.apply(state);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public OpId lastApplied() {
        return lastApplied;
    }

    @Override
    public long durableIndex() {
        return durableIndex;
    }

    /**
     * Flushes when the log since the last flush holds {@link #FLUSH_AFTER_ENTRIES} entries, or any entry older
     * than {@link #FLUSH_AFTER_NANOS}: a restart then replays little, and a big catalog is not rewritten
     * (megabytes, fsynced) every time one table changes.
     */
    public void flushIfDue(long nowNanos) {
        long behind = lastApplied.index() - durableIndex;
        if (behind >= FLUSH_AFTER_ENTRIES || (behind > 0 && nowNanos - lastFlushNanos >= FLUSH_AFTER_NANOS)) {
            flush();
            lastFlushNanos = nowNanos;
        }
    }

    /** Writes the catalog as of now to disk; afterwards the WAL below it may be deleted. */
    public void flush() {
        CatalogOpPB all;
        OpId applied;
        // Under the lock only references are copied: apply runs on the catalog group's Raft thread, and
        // holding it for the serialization stalled that thread (and its heartbeats) at 100,000 tablets.
        lock.readLock().lock();
        try {
            all = state.snapshotOp();
            applied = lastApplied;
        } finally {
            lock.readLock().unlock();
        }
        if (applied.index() <= durableIndex && Files.exists(snapshotFile)) {
            return;
        }
        write(applied, all.toByteString());
        durableIndex = applied.index();
    }

    private void write(OpId applied, ByteString catalog) {
        ByteBuffer body = ByteBuffer.allocate(16 + catalog.size());
        body.putLong(applied.term()).putLong(applied.index());
        catalog.copyTo(body);
        body.flip();
        CRC32C crc = new CRC32C();
        crc.update(body.duplicate());
        ByteBuffer file = ByteBuffer.allocate(8 + body.remaining());
        file.putInt(MAGIC).putInt((int) crc.getValue()).put(body);
        file.flip();
        Path temp = snapshotFile.resolveSibling(snapshotFile.getFileName() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                while (file.hasRemaining()) {
                    channel.write(file);
                }
                channel.force(true);
            }
            Files.move(temp, snapshotFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(snapshotFile.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the catalog snapshot " + snapshotFile, e);
        }
    }

    @Override
    public ByteString snapshot() {
        return read(CatalogState::snapshotOp).toByteString();
    }

    @Override
    public void install(ByteString snapshot, OpId lastIncluded) {
        CatalogState copied = CatalogState.fromSnapshot(snapshot);
        lock.writeLock().lock();
        try {
            state = copied;
            lastApplied = lastIncluded;
        } finally {
            lock.writeLock().unlock();
        }
        // A copy is durable before the WAL is reset after it.
        write(lastIncluded, snapshot);
        durableIndex = lastIncluded.index();
        java.util.Map<String, basalt.proto.PeerPB> book = read(CatalogState::masterAddresses);
        if (!book.isEmpty()) {
            addressBookListener.accept(book);
        }
    }
}
