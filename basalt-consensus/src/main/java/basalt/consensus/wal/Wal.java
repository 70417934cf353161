package basalt.consensus.wal;

import basalt.common.check.Check;
import basalt.consensus.core.Entry;
import basalt.consensus.core.OpId;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The write-ahead log of one Raft group: a directory of segment files of CRC32C-framed records
 * ({@link RecordFramer}), each segment starting with a {@link SegmentHeader} that carries the OpId just
 * before its first entry.
 *
 * <h2>Durability and group commit</h2>
 * {@link #append} frames the entries and buffers them in memory; the group-commit leader writes every
 * buffered append with one write call just before its fsync (reads, rolls and truncations flush too). Durability comes from {@link #syncBlocking()} /
 * {@link #sync()} (or the {@code appendAndSync*} shortcuts). Group commit is leader/follower: a thread
 * that needs durability either finds its append already covered, or parks until the running fsync ends,
 * or (if none runs) becomes the leader: it notes everything appended so far, runs ONE
 * {@code force(false)}, publishes the new {@link #durableIndex()} and unparks every waiter at once. Appends continue during an fsync,
 * so N concurrent appenders share roughly one fsync per round. A lone appender does its own fsync on its
 * own thread, with no hand-off, so it runs at the raw fsync rate. A failed fsync fails the WAL for good
 * (after a failed fsync the page cache state is unknown), and every later call throws.
 *
 * <h2>Recovery rule (on {@link #open})</h2>
 * A torn tail — an incomplete, implausible or CRC-failing record at the end of the LAST segment with no
 * valid record after it in that file — is truncated, because a crash can tear only unsynced writes and
 * only the last segment is ever unsynced (a segment is fsynced before its successor is created).
 * Anything else is refused with a {@link WalCorruptionException} naming the file and byte offset: a bad
 * record followed by a valid one, a bad record in any other segment, a bad segment header, a missing
 * segment, or a gap in indexes or terms. See {@link Recovery} for the full list.
 *
 * <h2>Locks</h2>
 * {@code lock} (read/write) guards the segment list and every segment's fields; it is never held during
 * a group-commit fsync. The "sync slot" ({@code syncSlotHeld}) is held by
 * the one thread running an fsync, and by truncation, GC and reset, so that no fsync races a file being
 * cut or deleted. Order: take the sync slot before {@code lock}; never wait for the slot holding
 * {@code lock}.
 */
public final class Wal implements Closeable {
    private final Path dir;
    private final WalOptions options;
    /** The longest a group-commit leader waits for more appends to join its fsync. */
    private static final long MAX_GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A safety net on one park; wake-ups normally come from {@link #releaseSyncSlot()}. */
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** The sync slot: held by the one thread running an fsync (the group-commit leader) or truncating, GCing or resetting. */
    private final AtomicBoolean syncSlotHeld = new AtomicBoolean();
    /** Threads parked until the sync slot is released, with the write sequence each needs durable. */
    private final Map<Thread, Long> syncWaiters = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Ordered by sequence; the last one is active. Guarded by {@code lock}. */
    private final List<Segment> segments;
    /** Counts appends and truncations; written under {@code lock}'s write side, read by the sync leader too. */
    private volatile long writeSequence;
    /** Appends the recent fsyncs covered (grows at once, decays by one per fsync). Written by the sync-slot holder. */
    private volatile long expectedBatchAppends;
    /** The leader while it waits for stragglers; the append that completes its batch unparks it. */
    private volatile Thread gatheringLeader;
    /** A moving average of fsync durations, to bound how long a leader gathers. Sync-slot holder only. */
    private long fsyncNanosAverage;
    /** The {@code writeSequence} covered by the last fsync. Written by the sync-slot holder. */
    private volatile long syncedSequence;
    /** Every entry at or below it is durable. Written by the sync-slot holder. */
    private volatile long durableIndex;
    private final AtomicLong fsyncCount = new AtomicLong();
    /** Set once by a failed fsync or write; every later call throws. */
    private volatile IOException failure;
    private volatile boolean closed;
    /**
     * Runs the leader/follower sync for {@link #sync()} callers that must not block. Created on the
     * first {@link #sync()}, so a WAL used only through the blocking calls costs no thread.
     */
    private ExecutorService syncer;
    /**
     * When set, {@link #sync()} runs on this shared executor instead of a thread of the WAL's own: a
     * server with thousands of groups must not own thousands of syncer threads. Concurrent syncs of one
     * WAL are safe (group commit elects one fsync leader among them).
     */
    private final java.util.concurrent.Executor sharedSyncer;
    private volatile WalListener listener = WalListener.NONE;

    private Wal(Path dir, WalOptions options, List<Segment> segments, java.util.concurrent.Executor sharedSyncer) {
        this.dir = dir;
        this.options = options;
        this.segments = segments;
        this.sharedSyncer = sharedSyncer;
    }

    private synchronized java.util.concurrent.Executor syncer() {
        if (sharedSyncer != null) {
            return sharedSyncer;
        }
        if (syncer == null) {
            syncer = Executors.newSingleThreadExecutor(runnable -> {
                Thread thread = new Thread(runnable, "wal-syncer-" + dir.getFileName());
                thread.setDaemon(true);
                return thread;
            });
        }
        return syncer;
    }

    /** Opens the WAL in {@code dir}, creating an empty one (starting after {@link OpId#ZERO}) if there is none. */
    public static Wal open(Path dir, WalOptions options) throws IOException {
        return open(dir, options, null);
    }

    /** As {@link #open(Path, WalOptions)}, with {@link #sync()} run on {@code sharedSyncer} (null: a thread of its own). */
    public static Wal open(Path dir, WalOptions options, java.util.concurrent.Executor sharedSyncer) throws IOException {
        Recovery.Recovered recovered = Recovery.recover(dir, options);
        Wal wal = new Wal(dir, options, recovered.segments(), sharedSyncer);
        if (!recovered.created()) {
            // What recovery read may still sit only in the page cache (a process crash): make it durable.
            // A segment recovery just created is durable already (Segment.create fsyncs it and the
            // directory), and a new replica's creation waits on every fsync here.
            wal.active().channel.force(false);
            wal.fsyncCount.incrementAndGet();
        }
        wal.durableIndex = wal.active().lastIndex;
        return wal;
    }

    public Path dir() {
        return dir;
    }

    public WalOptions options() {
        return options;
    }

    // ---------------------------------------------------------------------------------------------- reads

    /** Index of the oldest entry held; {@code lastIndex() + 1} when empty. */
    public long firstIndex() {
        lock.readLock().lock();
        try {
            return segments.get(0).header.firstIndex();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The OpId just before {@link #firstIndex()}: the point GC or a tablet copy left the log at. */
    public OpId snapshotOpId() {
        lock.readLock().lock();
        try {
            return segments.get(0).header.prevOpId();
        } finally {
            lock.readLock().unlock();
        }
    }

    public long lastIndex() {
        lock.readLock().lock();
        try {
            return active().lastIndex;
        } finally {
            lock.readLock().unlock();
        }
    }

    public OpId lastOpId() {
        lock.readLock().lock();
        try {
            return new OpId(active().lastTerm, active().lastIndex);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Every entry at or below this index is on disk and fsynced. */
    public long durableIndex() {
        return durableIndex;
    }

    /** Tells {@code newListener} of every fsync and write from now on (a server's metrics). */
    public void setListener(WalListener newListener) {
        this.listener = java.util.Objects.requireNonNull(newListener);
    }

    /** How many fsyncs of segment data this WAL has issued (group commit makes it far below appends). */
    public long fsyncCount() {
        return fsyncCount.get();
    }

    public int segmentCount() {
        lock.readLock().lock();
        try {
            return segments.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The segment files, oldest first. */
    public List<Path> segmentPaths() {
        lock.readLock().lock();
        try {
            return segments.stream().map(segment -> segment.path).toList();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The entry at {@code index}, which must be in {@code [firstIndex, lastIndex]}. */
    public Entry read(long index) throws IOException {
        List<Entry> one = read(index, index, 0);
        return one.get(0);
    }

    /**
     * Entries from {@code fromIndex} up to {@code toIndexInclusive} (clamped to {@link #lastIndex()}),
     * stopping before {@code maxBytes} (counted with {@link Entry#sizeBytes()}) but always returning at
     * least one entry. Uses each segment's sparse index, so it never scans a segment from its start.
     */
    public List<Entry> read(long fromIndex, long toIndexInclusive, long maxBytes) throws IOException {
        checkUsable();
        Lock held = lockForReading();
        try {
            long first = segments.get(0).header.firstIndex();
            long last = active().lastIndex;
            Check.arg(fromIndex >= first && fromIndex <= last && toIndexInclusive >= fromIndex,
                    "read [%s, %s] outside the WAL's [%s, %s]", fromIndex, toIndexInclusive, first, last);
            long to = Math.min(toIndexInclusive, last);
            List<Entry> out = new ArrayList<>();
            long usedBytes = 0;
            // Bounded by the segment count; each segment adds entries or the budget ends the loop.
            for (int slot = segmentSlot(fromIndex); slot < segments.size(); slot++) {
                Segment segment = segments.get(slot);
                long from = out.isEmpty() ? fromIndex : out.get(out.size() - 1).index() + 1;
                if (from > to) {
                    break;
                }
                if (segment.isEmpty() || from > segment.lastIndex) {
                    continue;
                }
                int before = out.size();
                usedBytes += segment.read(from, to, maxBytes - usedBytes, out.isEmpty(), out);
                long wanted = Math.min(to, segment.lastIndex) - from + 1;
                if (out.size() - before < wanted) {
                    break; // budget reached inside this segment
                }
            }
            return out;
        } finally {
            held.unlock();
        }
    }

    /**
     * The read lock, or the write lock after flushing buffered appends when there are some: file reads
     * must see every record that {@link #lastIndex()} counts. Reads of the unsynced tail are rare (the
     * log cache holds it), so taking the write lock then costs little.
     */
    private Lock lockForReading() throws IOException {
        lock.readLock().lock();
        if (!active().hasPendingFrames()) {
            return lock.readLock();
        }
        lock.readLock().unlock();
        lock.writeLock().lock();
        try {
            flushActive();
        } catch (IOException | RuntimeException e) {
            lock.writeLock().unlock();
            throw e;
        }
        return lock.writeLock();
    }

    /** Writes the active segment's buffered appends; a failed write fails the WAL. Caller holds the write lock. */
    private void flushActive() throws IOException {
        try {
            Segment segment = active();
            long before = segment.writtenBytes;
            segment.flush();
            if (segment.writtenBytes > before) {
                listener.wrote(segment.writtenBytes - before);
            }
        } catch (IOException e) {
            fail(e);
            throw e;
        }
    }

    /** Term at {@code index}; the snapshot's term at {@code firstIndex() - 1}; {@code -1} outside. */
    public long term(long index) throws IOException {
        lock.readLock().lock();
        try {
            OpId prev = segments.get(0).header.prevOpId();
            if (index == prev.index()) {
                return prev.term();
            }
            if (index < prev.index() || index > active().lastIndex) {
                return -1;
            }
            if (index == active().lastIndex) {
                return active().lastTerm;
            }
        } finally {
            lock.readLock().unlock();
        }
        return read(index).term();
    }

    // --------------------------------------------------------------------------------------------- writes

    /**
     * Appends contiguous entries, buffered (not durable until a sync). If the first entry's index is at
     * or below {@link #lastIndex()}, the suffix from that index is truncated first (a log conflict,
     * section 5.3). Rolls to a new segment when the active one has reached the configured size.
     */
    public void append(List<Entry> entries) throws IOException {
        checkUsable();
        Check.arg(!entries.isEmpty(), "append of no entries");
        for (int i = 1; i < entries.size(); i++) {
            Check.arg(entries.get(i).index() == entries.get(i - 1).index() + 1
                            && entries.get(i).term() >= entries.get(i - 1).term(),
                    "entries %s then %s are not contiguous", entries.get(i - 1).opId(), entries.get(i).opId());
        }
        long firstNew = entries.get(0).index();
        if (firstNew <= lastIndex()) {
            truncateSuffix(firstNew);
        }
        lock.writeLock().lock();
        try {
            Segment active = active();
            Check.arg(firstNew == active.lastIndex + 1, "entry %s does not follow the WAL's last %s.%s",
                    entries.get(0).opId(), active.lastTerm, active.lastIndex);
            Check.arg(entries.get(0).term() >= active.lastTerm, "entry %s has a term below the last %s",
                    entries.get(0).opId(), active.lastTerm);
            ByteBuffer frames = RecordFramer.frame(entries);
            if (!active.isEmpty() && active.endBytes >= options.segmentSizeBytes()) {
                active = roll(active);
            }
            active.append(entries, frames);
            writeSequence++;
            Thread gatherer = gatheringLeader;
            if (gatherer != null && writeSequence - syncedSequence >= expectedBatchAppends) {
                LockSupport.unpark(gatherer);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Makes every append made before this call durable, on the calling thread (group commit). */
    public void syncBlocking() throws IOException {
        long target;
        lock.readLock().lock();
        try {
            target = writeSequence;
        } finally {
            lock.readLock().unlock();
        }
        syncTo(target);
    }

    /** As {@link #syncBlocking()}, completed by the WAL's syncer thread; the calling thread does not block. */
    public CompletableFuture<Void> sync() {
        long target;
        lock.readLock().lock();
        try {
            target = writeSequence;
        } finally {
            lock.readLock().unlock();
        }
        if (syncedSequence >= target) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        // One queued task per outstanding future: the queue is bounded by the callers' own in-flight
        // futures, and every task after the first finds its target already covered.
        syncer().execute(() -> {
            try {
                syncTo(target);
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** {@link #append} then {@link #sync()}: the future completes when these entries are durable. */
    public CompletableFuture<Void> appendAndSync(List<Entry> entries) throws IOException {
        append(entries);
        return sync();
    }

    /** {@link #append} then {@link #syncBlocking()}. */
    public void appendAndSyncBlocking(List<Entry> entries) throws IOException {
        append(entries);
        syncBlocking();
    }

    /**
     * The leader/follower group commit. A caller whose append is not yet covered either becomes the
     * leader (a CAS on {@code syncSlotHeld}, no lock) or parks until the running fsync ends. The leader
     * unparks every waiter directly when it finishes, so they wake in parallel (a condition variable
     * would hand its lock from waiter to waiter, one scheduler wake-up at a time, which on this VM takes
     * longer than the fsync) and the first uncovered one to run becomes the next leader. The loop is
     * bounded: each pass waits for one fsync, and the second fsync that starts after our append covers
     * it.
     */
    private void syncTo(long targetSequence) throws IOException {
        // Bounded: see above; parkNanos also bounds a single wait in case of a bug in the wake-up.
        while (syncedSequence < targetSequence) {
            checkUsable();
            if (!tryAcquireSyncSlot()) {
                awaitSyncSlotRelease(targetSequence);
                continue;
            }
            try {
                if (syncedSequence >= targetSequence) {
                    return; // a leader before us covered our append
                }
                maybeGatherStragglers();
                long coveredSequence;
                long coveredIndex;
                FileChannel channel;
                lock.writeLock().lock();
                try {
                    // One write for every append buffered since the last fsync (theirs and ours).
                    flushActive();
                    coveredSequence = writeSequence;
                    coveredIndex = active().lastIndex;
                    channel = active().channel;
                } finally {
                    lock.writeLock().unlock();
                }
                long fsyncStartNanos = System.nanoTime();
                try {
                    // Earlier segments were fsynced when they were rolled, so the active one is all that is left.
                    channel.force(false);
                } catch (IOException e) {
                    fail(e);
                    throw e;
                }
                fsyncCount.incrementAndGet();
                long fsyncNanos = System.nanoTime() - fsyncStartNanos;
                listener.fsynced(fsyncNanos);
                fsyncNanosAverage += (fsyncNanos - fsyncNanosAverage) / 8;
                long batchAppends = coveredSequence - syncedSequence;
                // Grow at once, decay by one per fsync: a lone appender is back to "no gathering" quickly.
                expectedBatchAppends = batchAppends >= expectedBatchAppends ? batchAppends : expectedBatchAppends - 1;
                durableIndex = coveredIndex;
                syncedSequence = coveredSequence;
            } finally {
                releaseSyncSlot();
            }
        }
    }

    /**
     * With fsyncs running back to back, an appender that just missed one waits for all of the next, so
     * without help a batch holds only about half the appenders. When recent fsyncs covered several
     * appends, the appenders woken by the previous fsync are about to append again; the new leader
     * parks for them until as many appends as the last batch are in or half an fsync has passed. A lone appender sees batches of one and never waits, so it runs at the raw fsync rate.
     * Caller holds the sync slot.
     */
    private void maybeGatherStragglers() {
        if (expectedBatchAppends <= 1) {
            return;
        }
        long deadlineNanos = System.nanoTime() + Math.min(fsyncNanosAverage / 2, MAX_GATHER_NANOS);
        gatheringLeader = Thread.currentThread();
        try {
            // Bounded by the deadline. Parking (not yielding in a loop) leaves both cores of a small
            // machine to the appenders we wait for; the append that completes the batch unparks us.
            long now;
            while (writeSequence - syncedSequence < expectedBatchAppends && (now = System.nanoTime()) < deadlineNanos) {
                LockSupport.parkNanos(this, deadlineNanos - now);
            }
        } finally {
            gatheringLeader = null;
        }
    }

    private boolean tryAcquireSyncSlot() {
        return !syncSlotHeld.get() && syncSlotHeld.compareAndSet(false, true);
    }

    /**
     * Parks until the sync slot is released (or {@code targetSequence} is durable). The waiter registers
     * before it re-checks, and the holder clears the slot before it unparks registered waiters, so a
     * release can never fall between the check and the park unseen.
     */
    private void awaitSyncSlotRelease(long targetSequence) {
        Thread self = Thread.currentThread();
        syncWaiters.put(self, targetSequence);
        try {
            if (syncSlotHeld.get() && syncedSequence < targetSequence) {
                LockSupport.parkNanos(this, MAX_PARK_NANOS);
            }
        } finally {
            syncWaiters.remove(self);
        }
    }

    /**
     * Waits until no fsync runs and keeps others from starting one, so truncation, GC and reset never
     * cut or delete a file under an fsync. Pair with {@link #releaseSyncSlot()} in a finally block.
     */
    private void acquireSyncSlot() {
        // Bounded: each pass waits for the current holder (one fsync or one truncation) to finish.
        while (!tryAcquireSyncSlot()) {
            awaitSyncSlotRelease(Long.MAX_VALUE);
        }
    }

    /**
     * Frees the slot and wakes the waiters the last fsync covered, plus ONE that it did not cover, to
     * lead the next fsync (or to take the slot for a truncation). Waking every uncovered waiter would
     * only send all but one back to sleep: two scheduler wake-ups per append instead of one.
     */
    private void releaseSyncSlot() {
        syncSlotHeld.set(false);
        long covered = syncedSequence;
        boolean wokeNextLeader = false;
        // Bounded by the number of registered waiters (at most the threads using this WAL).
        for (Map.Entry<Thread, Long> waiter : syncWaiters.entrySet()) {
            if (waiter.getValue() <= covered) {
                LockSupport.unpark(waiter.getKey());
            } else if (!wokeNextLeader) {
                wokeNextLeader = true;
                LockSupport.unpark(waiter.getKey());
            }
        }
    }

    /**
     * Drops every entry at or after {@code fromIndex} (across segments) durably: later segments are
     * deleted newest first, so a crash part way leaves a contiguous prefix, and the segment holding
     * {@code fromIndex} is cut and fsynced. Everything kept is durable afterwards.
     */
    public void truncateSuffix(long fromIndex) throws IOException {
        checkUsable();
        acquireSyncSlot();
        lock.writeLock().lock();
        try {
            Check.arg(fromIndex >= segments.get(0).header.firstIndex(),
                    "truncation from %s below the WAL's first index %s", fromIndex, segments.get(0).header.firstIndex());
            if (fromIndex > active().lastIndex) {
                return;
            }
            boolean deleted = false;
            // Bounded by the segment count; the first segment is never deleted here.
            while (segments.size() > 1 && active().header.firstIndex() > fromIndex) {
                Segment newest = segments.remove(segments.size() - 1);
                newest.channel.close();
                Files.delete(newest.path);
                deleted = true;
            }
            active().truncateFrom(fromIndex);
            fsyncCount.incrementAndGet();
            if (deleted) {
                Segment.fsyncDirectory(dir);
            }
            markAllDurable();
        } catch (IOException e) {
            fail(e);
            throw e;
        } finally {
            lock.writeLock().unlock();
            releaseSyncSlot();
        }
    }

    /**
     * Deletes the oldest segments whose every entry is below {@code anchorIndex} (the minimum of the
     * {@link Anchors}), oldest first and never the active segment. The next segment's header keeps the
     * term of the last deleted entry, so {@link #snapshotOpId()} stays known.
     *
     * @return how many segments were deleted
     */
    public int deleteSegmentsBelow(long anchorIndex) throws IOException {
        checkUsable();
        acquireSyncSlot();
        lock.writeLock().lock();
        try {
            int deleted = 0;
            // Bounded by the segment count; the active segment always stays.
            while (segments.size() > 1 && segments.get(0).lastIndex < anchorIndex) {
                Segment oldest = segments.remove(0);
                oldest.channel.close();
                Files.delete(oldest.path);
                deleted++;
            }
            if (deleted > 0) {
                Segment.fsyncDirectory(dir);
            }
            return deleted;
        } finally {
            lock.writeLock().unlock();
            releaseSyncSlot();
        }
    }

    /**
     * Drops the whole log and restarts it right after {@code snapshotOpId} (after a tablet copy). The new
     * segment, flagged as a log start and carrying {@code snapshotOpId} in its header, is made durable
     * before any old segment is deleted; recovery deletes old segments a crash left behind.
     */
    public void resetTo(OpId snapshotOpId) throws IOException {
        checkUsable();
        acquireSyncSlot();
        lock.writeLock().lock();
        try {
            long sequence = active().header.sequence() + 1;
            Segment fresh = Segment.create(dir,
                    new SegmentHeader(sequence, snapshotOpId.index() + 1, snapshotOpId.term(), true),
                    options.sparseIndexIntervalBytes());
            // Bounded by the segment count.
            while (!segments.isEmpty()) {
                Segment oldest = segments.remove(0);
                oldest.channel.close();
                Files.delete(oldest.path);
            }
            segments.add(fresh);
            Segment.fsyncDirectory(dir);
            markAllDurable();
        } catch (IOException e) {
            fail(e);
            throw e;
        } finally {
            lock.writeLock().unlock();
            releaseSyncSlot();
        }
    }

    /** Syncs what was appended and closes every file. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            if (failure == null) {
                syncBlocking();
            }
        } finally {
            closed = true;
            ExecutorService started;
            synchronized (this) {
                started = syncer;
            }
            if (started != null) {
                started.shutdown();
                try {
                    // Queued tasks find the WAL closed and fail their futures at once.
                    started.awaitTermination(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            lock.writeLock().lock();
            try {
                for (Segment segment : segments) {
                    segment.channel.close();
                }
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    // ------------------------------------------------------------------------------------------- internals

    /** Caller holds {@code lock}. */
    private Segment active() {
        return segments.get(segments.size() - 1);
    }

    /** Slot of the segment holding {@code index}: the last whose first index is at or below it. */
    private int segmentSlot(long index) {
        int low = 0;
        int high = segments.size() - 1;
        // Binary search: bounded by log2(segment count) steps.
        while (low < high) {
            int middle = (low + high + 1) >>> 1;
            if (segments.get(middle).header.firstIndex() <= index) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        return low;
    }

    /**
     * Starts a new segment after {@code full}. The full one is fsynced first: that is what lets recovery
     * treat a bad record in any segment but the last as corruption. Caller holds the write lock.
     */
    private Segment roll(Segment full) throws IOException {
        try {
            full.flush();
            full.channel.force(false);
            fsyncCount.incrementAndGet();
            Segment next = Segment.create(dir,
                    new SegmentHeader(full.header.sequence() + 1, full.lastIndex + 1, full.lastTerm, false),
                    options.sparseIndexIntervalBytes());
            segments.add(next);
            return next;
        } catch (IOException e) {
            fail(e);
            throw e;
        }
    }

    /** After a truncation or reset fsynced the active segment: everything written is durable. */
    private void markAllDurable() {
        writeSequence++;
        syncedSequence = writeSequence;
        durableIndex = active().lastIndex;
    }

    private void fail(IOException cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    private void checkUsable() throws IOException {
        if (closed) {
            throw new IOException("WAL " + dir + " is closed");
        }
        IOException failed = failure;
        if (failed != null) {
            throw new IOException("WAL " + dir + " failed earlier and cannot be used: " + failed.getMessage(), failed);
        }
    }

    @Override
    public String toString() {
        lock.readLock().lock();
        try {
            return "Wal" + segments;
        } finally {
            lock.readLock().unlock();
        }
    }
}
