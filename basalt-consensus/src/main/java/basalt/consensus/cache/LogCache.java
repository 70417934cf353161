package basalt.consensus.cache;

import basalt.common.check.Check;
import basalt.consensus.core.Entry;
import basalt.consensus.core.OpId;
import basalt.consensus.core.RaftLog;
import basalt.consensus.wal.Wal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The production {@link RaftLog}: the recent tail of the log in memory, bounded in bytes, over the
 * {@link Wal} that holds everything durable.
 *
 * <h2>Contract with the core and the driver</h2>
 * <ol>
 *   <li>The core calls {@link #append} as soon as it decides entries. They are NOT durable yet and exist
 *       only here, so they are never evicted, whatever the budget says.</li>
 *   <li>The driver writes the same entries to the WAL (truncating the WAL's suffix itself when an append
 *       replaced one) and, once they are fsynced, calls {@link #markDurable(OpId)}.</li>
 *   <li>Durable entries are evicted oldest first while {@link #logCacheBytesUsed()} is above
 *       {@link #logCacheBytesMax()}. {@link #entries} and {@link #term} read evicted entries back from
 *       the WAL, so serving a lagging peer never grows this cache.</li>
 * </ol>
 * Invariant: every index below {@code cacheFirstIndex} is at or below {@code durableIndex}, and the WAL
 * holds exactly this log's entry there. All methods are synchronized: the core appends on its thread,
 * the driver marks durability on another. WAL reads happen under the monitor; a lagging peer's read
 * therefore delays the core by one bounded read ({@code maxBytes}).
 */
public final class LogCache implements RaftLog {
    private final Wal wal;
    private final long logCacheBytesMax;
    /** Where this log starts unless the WAL was GC'd further: the WAL's start, or the last resetTo. */
    private OpId startOpId;
    private long lastIndex;
    /** Entries {@code [cacheFirstIndex, lastIndex]} live in {@code cached} from slot {@code head} on. */
    private final ArrayList<Entry> cached = new ArrayList<>();
    private int head;
    private long cacheFirstIndex;
    /** Highest index known fsynced in the WAL with this log's entry. Moved by markDurable, lowered by a replace. */
    private long durableIndex;
    private long logCacheBytesUsed;

    public LogCache(Wal wal, long logCacheBytesMax) {
        Check.arg(logCacheBytesMax >= 0, "logCacheBytesMax %s must not be negative", logCacheBytesMax);
        this.wal = wal;
        this.logCacheBytesMax = logCacheBytesMax;
        this.startOpId = wal.snapshotOpId();
        this.lastIndex = wal.lastIndex();
        this.durableIndex = wal.durableIndex();
        Check.state(durableIndex == lastIndex, "WAL %s has appended but unsynced entries (%s > %s)", wal.dir(),
                lastIndex, durableIndex);
        this.cacheFirstIndex = lastIndex + 1;
    }

    @Override
    public synchronized OpId snapshotOpId() {
        OpId walStart = wal.snapshotOpId();
        // GC may have moved the WAL's start past ours; entries below it no longer exist on disk.
        return walStart.index() > startOpId.index() && walStart.index() <= lastIndex ? walStart : startOpId;
    }

    @Override
    public synchronized long lastIndex() {
        return lastIndex;
    }

    @Override
    public synchronized long term(long index) {
        OpId start = snapshotOpId();
        if (index == start.index()) {
            return start.term();
        }
        if (index < start.index() || index > lastIndex) {
            return -1;
        }
        if (index >= cacheFirstIndex) {
            return cachedAt(index).term();
        }
        try {
            return wal.term(index);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the term of " + index + " from " + wal.dir(), e);
        }
    }

    @Override
    public synchronized List<Entry> entries(long fromIndex, long toIndexInclusive, long maxBytes) {
        Check.arg(fromIndex >= firstIndex(), "entries from %s below the first index %s", fromIndex, firstIndex());
        List<Entry> out = new ArrayList<>();
        long to = Math.min(toIndexInclusive, lastIndex);
        if (fromIndex > to) {
            return out;
        }
        long usedBytes = 0;
        if (fromIndex < cacheFirstIndex) {
            long walTo = Math.min(to, cacheFirstIndex - 1);
            try {
                out.addAll(wal.read(fromIndex, walTo, maxBytes));
            } catch (IOException e) {
                throw new UncheckedIOException("reading [" + fromIndex + ", " + walTo + "] from " + wal.dir(), e);
            }
            for (Entry entry : out) {
                usedBytes += entry.sizeBytes();
            }
            if (out.get(out.size() - 1).index() < walTo) {
                return out; // the byte budget ended inside the WAL part
            }
        }
        // Bounded by the cached entries in range.
        for (long index = Math.max(fromIndex, cacheFirstIndex); index <= to; index++) {
            Entry entry = cachedAt(index);
            if (!out.isEmpty() && usedBytes + entry.sizeBytes() > maxBytes) {
                break;
            }
            out.add(entry);
            usedBytes += entry.sizeBytes();
        }
        return out;
    }

    @Override
    public synchronized void append(List<Entry> entries) {
        Check.arg(!entries.isEmpty(), "append of no entries");
        long firstNew = entries.get(0).index();
        Check.arg(firstNew <= lastIndex + 1 && firstNew > snapshotOpId().index(),
                "append at %s: the log holds (%s, %s]", firstNew, snapshotOpId().index(), lastIndex);
        for (int i = 1; i < entries.size(); i++) {
            Check.arg(entries.get(i).index() == entries.get(i - 1).index() + 1,
                    "entries %s then %s are not contiguous", entries.get(i - 1).opId(), entries.get(i).opId());
        }
        if (firstNew <= lastIndex) {
            replaceFrom(firstNew);
        }
        for (Entry entry : entries) {
            cached.add(entry);
            logCacheBytesUsed += entry.sizeBytes();
        }
        lastIndex = entries.get(entries.size() - 1).index();
        maybeEvict();
    }

    /**
     * The driver reports that the WAL holds entries up to {@code durable} fsynced. Ignored when this log
     * no longer has that OpId (a replace happened after the write was issued): by log matching, the same
     * OpId means the same prefix, so the check makes a late report harmless.
     */
    public synchronized void markDurable(OpId durable) {
        if (durable.index() <= durableIndex || durable.index() > lastIndex || term(durable.index()) != durable.term()) {
            return;
        }
        durableIndex = durable.index();
        maybeEvict();
    }

    /** Drops every entry and restarts after {@code snapshotOpId}; the driver resets the WAL the same way. */
    @Override
    public synchronized void resetTo(OpId snapshotOpId) {
        cached.clear();
        head = 0;
        logCacheBytesUsed = 0;
        startOpId = snapshotOpId;
        lastIndex = snapshotOpId.index();
        durableIndex = snapshotOpId.index();
        cacheFirstIndex = lastIndex + 1;
    }

    public synchronized long logCacheBytesUsed() {
        return logCacheBytesUsed;
    }

    public long logCacheBytesMax() {
        return logCacheBytesMax;
    }

    public synchronized long durableIndex() {
        return durableIndex;
    }

    /** Index of the oldest entry held in memory ({@code lastIndex() + 1} when none is). */
    public synchronized long cacheFirstIndex() {
        return cacheFirstIndex;
    }

    private Entry cachedAt(long index) {
        return cached.get(head + (int) (index - cacheFirstIndex));
    }

    /** Drops entries at and after {@code fromIndex}, here only; they were never committed (section 5.3). */
    private void replaceFrom(long fromIndex) {
        if (fromIndex < cacheFirstIndex) {
            // The replaced range reaches into evicted entries: from now on it is served from memory.
            cached.clear();
            head = 0;
            logCacheBytesUsed = 0;
            cacheFirstIndex = fromIndex;
        } else {
            int keep = head + (int) (fromIndex - cacheFirstIndex);
            // Bounded by the number of entries replaced.
            for (int slot = cached.size() - 1; slot >= keep; slot--) {
                logCacheBytesUsed -= cached.remove(slot).sizeBytes();
            }
        }
        lastIndex = fromIndex - 1;
        durableIndex = Math.min(durableIndex, fromIndex - 1);
    }

    /** Evicts durable entries, oldest first, while over budget; undurable ones always stay. */
    private void maybeEvict() {
        // Bounded by the number of cached entries.
        while (logCacheBytesUsed > logCacheBytesMax && head < cached.size() && cacheFirstIndex <= durableIndex) {
            Entry evicted = cached.set(head, null);
            head++;
            cacheFirstIndex++;
            logCacheBytesUsed -= evicted.sizeBytes();
        }
        if (head > 1024 && head > cached.size() / 2) {
            // Compact so the array does not grow with the total number of entries ever appended.
            cached.subList(0, head).clear();
            head = 0;
        }
    }
}
