package basalt.consensus.core;

import basalt.common.check.Check;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RaftLog} in memory, for tests and the simulator. It holds the contiguous entries after
 * {@link #snapshotOpId()}; {@code entries.get(i)} is the entry at index {@code snapshot.index() + 1 + i}.
 * Durability is not its concern: the harness that drives the core decides what survives a crash.
 */
public final class MemoryRaftLog implements RaftLog {
    private OpId snapshot = OpId.ZERO;
    private final List<Entry> entries = new ArrayList<>();

    public MemoryRaftLog() {}

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
        return entries.get(offset(index)).term();
    }

    @Override
    public List<Entry> entries(long fromIndex, long toIndexInclusive, long maxBytes) {
        Check.arg(fromIndex >= firstIndex(), "entries from %s: the log starts at %s", fromIndex, firstIndex());
        Check.arg(toIndexInclusive <= lastIndex(), "entries to %s: the log ends at %s", toIndexInclusive, lastIndex());
        List<Entry> result = new ArrayList<>();
        long bytes = 0;
        for (long index = fromIndex; index <= toIndexInclusive; index++) {
            Entry entry = entries.get(offset(index));
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
        Check.arg(first >= firstIndex() && first <= lastIndex() + 1,
                "append at %s: the log holds [%s, %s]", first, firstIndex(), lastIndex());
        for (int i = 1; i < newEntries.size(); i++) {
            Check.arg(newEntries.get(i).index() == first + i, "appended entries are not contiguous: %s", newEntries);
        }
        // Replace the suffix from the first new index (a follower resolving a conflict, section 5.3).
        entries.subList(offset(first), entries.size()).clear();
        entries.addAll(newEntries);
    }

    @Override
    public void resetTo(OpId snapshotOpId) {
        snapshot = snapshotOpId;
        entries.clear();
    }

    /** Every retained entry, oldest first. */
    public List<Entry> all() {
        return List.copyOf(entries);
    }

    private int offset(long index) {
        return Math.toIntExact(index - snapshot.index() - 1);
    }

    @Override
    public String toString() {
        return "MemoryRaftLog[after " + snapshot + ", last " + lastOpId() + "]";
    }
}
