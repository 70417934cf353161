package basalt.consensus.sim;

import basalt.common.check.Check;
import basalt.consensus.core.Entry;
import basalt.consensus.core.OpId;
import basalt.consensus.core.RaftLog;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulator's in-memory {@link RaftLog}. It also keeps a chain hash per entry (a hash of the whole
 * prefix ending there), which lets the log-matching invariant compare prefixes in O(1).
 */
final class SimLog implements RaftLog {
    private OpId snapshot;
    private long snapshotChainHash;
    private final List<Entry> entries = new ArrayList<>();
    private final List<Long> chainHashes = new ArrayList<>();

    SimLog(OpId snapshot, long snapshotChainHash, List<Entry> durableEntries) {
        this.snapshot = snapshot;
        this.snapshotChainHash = snapshotChainHash;
        append(durableEntries);
    }

    @Override
    public OpId snapshotOpId() {
        return snapshot;
    }

    @Override
    public long lastIndex() {
        return snapshot.index() + entries.size();
    }

    @Override
    public long term(long index) {
        if (index == snapshot.index()) {
            return snapshot.term();
        }
        if (index < snapshot.index() || index > lastIndex()) {
            return -1;
        }
        return entries.get((int) (index - snapshot.index() - 1)).term();
    }

    Entry entry(long index) {
        Check.arg(index > snapshot.index() && index <= lastIndex(), "index %s outside (%s, %s]",
                index, snapshot.index(), lastIndex());
        return entries.get((int) (index - snapshot.index() - 1));
    }

    @Override
    public List<Entry> entries(long fromIndex, long toIndexInclusive, long maxBytes) {
        Check.arg(fromIndex > snapshot.index(), "entry %s was compacted (snapshot %s)", fromIndex, snapshot);
        List<Entry> result = new ArrayList<>();
        long bytes = 0;
        for (long index = fromIndex; index <= Math.min(toIndexInclusive, lastIndex()); index++) {
            Entry entry = entry(index);
            if (!result.isEmpty() && bytes + entry.sizeBytes() > maxBytes) {
                break;
            }
            bytes += entry.sizeBytes();
            result.add(entry);
        }
        return result;
    }

    @Override
    public void append(List<Entry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long first = newEntries.get(0).index();
        Check.arg(first > snapshot.index() && first <= lastIndex() + 1, "append at %s to a log (%s, %s]",
                first, snapshot.index(), lastIndex());
        truncateFrom(first);
        for (Entry entry : newEntries) {
            Check.arg(entry.index() == lastIndex() + 1, "append of %s is not contiguous", entry.opId());
            long previousHash = chainHash(entry.index() - 1);
            entries.add(entry);
            chainHashes.add(mix(previousHash, entry));
        }
    }

    private void truncateFrom(long index) {
        while (lastIndex() >= index) {
            entries.remove(entries.size() - 1);
            chainHashes.remove(chainHashes.size() - 1);
        }
    }

    /** Set by the simulator before a tablet copy is installed: the chain hash the copied prefix has. */
    private long nextResetChainHash;

    void prepareReset(long chainHash) {
        nextResetChainHash = chainHash;
    }

    @Override
    public void resetTo(OpId snapshotOpId) {
        entries.clear();
        chainHashes.clear();
        snapshot = snapshotOpId;
        snapshotChainHash = nextResetChainHash;
    }

    /** Drops entries up to and including {@code index} (WAL GC below the state machine's durable point). */
    void compactThrough(long index) {
        if (index <= snapshot.index()) {
            return;
        }
        Check.arg(index <= lastIndex(), "cannot compact through %s past last %s", index, lastIndex());
        long hash = chainHash(index);
        OpId newSnapshot = new OpId(term(index), index);
        int drop = (int) (index - snapshot.index());
        entries.subList(0, drop).clear();
        chainHashes.subList(0, drop).clear();
        snapshot = newSnapshot;
        snapshotChainHash = hash;
    }

    /** The hash of the prefix ending at {@code index}, which must be within [snapshot, last]. */
    long chainHash(long index) {
        if (index == snapshot.index()) {
            return snapshotChainHash;
        }
        return chainHashes.get((int) (index - snapshot.index() - 1));
    }

    List<Entry> allEntries() {
        return List.copyOf(entries);
    }

    static long mix(long previousHash, Entry entry) {
        long h = previousHash * 0x9E3779B97F4A7C15L;
        h ^= entry.term() * 31 + entry.index();
        h = Long.rotateLeft(h, 29) * 0xBF58476D1CE4E5B9L;
        h ^= entry.type().code();
        h ^= entry.payload().hashCode() * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }
}
