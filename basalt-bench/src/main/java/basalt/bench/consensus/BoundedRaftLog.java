package basalt.bench.consensus;

import basalt.consensus.core.Entry;
import basalt.consensus.core.OpId;
import basalt.consensus.core.RaftLog;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RaftLog} that keeps only the newest {@code capacity} entries in a ring, so a benchmark can
 * append for as long as it runs without the heap growing. Appending past the window moves the snapshot
 * forward, as WAL GC does in production; the benchmarks keep every peer and the commit index well inside
 * the window, so the core never needs an entry that was dropped (it would ask for a tablet copy).
 */
final class BoundedRaftLog implements RaftLog {
    private final Entry[] ring;
    private final int mask;
    private OpId snapshot = OpId.ZERO;
    private long lastIndex;

    BoundedRaftLog(int capacityPowerOfTwo) {
        if (Integer.bitCount(capacityPowerOfTwo) != 1) {
            throw new IllegalArgumentException("capacity " + capacityPowerOfTwo + " is not a power of two");
        }
        ring = new Entry[capacityPowerOfTwo];
        mask = capacityPowerOfTwo - 1;
    }

    @Override
    public OpId snapshotOpId() {
        return snapshot;
    }

    @Override
    public long lastIndex() {
        return lastIndex;
    }

    @Override
    public long term(long index) {
        if (index == snapshot.index()) {
            return snapshot.term();
        }
        if (index < snapshot.index() || index > lastIndex) {
            return -1;
        }
        return ring[slot(index)].term();
    }

    @Override
    public List<Entry> entries(long fromIndex, long toIndexInclusive, long maxBytes) {
        if (fromIndex < firstIndex() || toIndexInclusive > lastIndex) {
            throw new IllegalArgumentException("entries [" + fromIndex + ", " + toIndexInclusive
                    + "] outside [" + firstIndex() + ", " + lastIndex + "]");
        }
        List<Entry> result = new ArrayList<>((int) Math.min(16, toIndexInclusive - fromIndex + 1));
        long bytes = 0;
        for (long index = fromIndex; index <= toIndexInclusive; index++) {
            Entry entry = ring[slot(index)];
            if (!result.isEmpty() && bytes + entry.sizeBytes() > maxBytes) {
                break;
            }
            bytes += entry.sizeBytes();
            result.add(entry);
        }
        return result;
    }

    @Override
    public void append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        if (first < firstIndex() || first > lastIndex + 1) {
            throw new IllegalArgumentException("append at " + first + ": the log holds [" + firstIndex() + ", "
                    + lastIndex + "]");
        }
        lastIndex = first - 1; // replaces a conflicting suffix, as RaftLog requires
        for (Entry entry : entries) {
            long index = entry.index();
            if (index != lastIndex + 1) {
                throw new IllegalArgumentException("appended entries are not contiguous at " + index);
            }
            if (index - snapshot.index() > ring.length) {
                // The slot about to be reused holds the oldest entry, which becomes the snapshot.
                Entry evicted = ring[slot(index)];
                snapshot = evicted.opId();
            }
            ring[slot(index)] = entry;
            lastIndex = index;
        }
    }

    @Override
    public void resetTo(OpId snapshotOpId) {
        snapshot = snapshotOpId;
        lastIndex = snapshotOpId.index();
    }

    private int slot(long index) {
        return (int) (index & mask);
    }
}
