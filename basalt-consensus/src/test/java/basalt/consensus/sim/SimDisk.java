package basalt.consensus.sim;

import basalt.common.check.Check;
import basalt.consensus.core.Entry;
import basalt.consensus.core.HardState;
import basalt.consensus.core.OpId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * One replica's disk: what is durable (consensus metadata, the WAL after its GC point, the state machine
 * snapshot) and the writes issued but not yet fsynced. A crash keeps a random prefix of the unsynced
 * writes (the OS may have flushed some) and may tear the last entry batch it keeps; the rest is lost.
 */
final class SimDisk {
    /** A write issued but not yet covered by an fsync. */
    private record PendingWrite(long sequence, Optional<HardState> hardState, List<Entry> entries) {}

    HardState hardState;
    OpId walStart;
    long walStartChainHash;
    final List<Entry> wal = new ArrayList<>();
    KvStateMachine.Snapshot stateMachineSnapshot;

    private final ArrayDeque<PendingWrite> unsynced = new ArrayDeque<>();
    private long lastSequence;

    SimDisk(HardState initial, KvStateMachine.Snapshot emptySnapshot) {
        this.hardState = initial;
        this.walStart = OpId.ZERO;
        this.stateMachineSnapshot = emptySnapshot;
    }

    /** Issues a write; returns its sequence number, which a later fsync covers. */
    long write(Optional<HardState> newHardState, List<Entry> entries) {
        lastSequence++;
        unsynced.addLast(new PendingWrite(lastSequence, newHardState, List.copyOf(entries)));
        return lastSequence;
    }

    boolean hasUnsynced() {
        return !unsynced.isEmpty();
    }

    long lastSequence() {
        return lastSequence;
    }

    /** An fsync completed: every write up to {@code sequence} is now durable. */
    void syncThrough(long sequence) {
        while (!unsynced.isEmpty() && unsynced.peekFirst().sequence() <= sequence) {
            apply(unsynced.pollFirst(), Integer.MAX_VALUE);
        }
    }

    /** The process died: unsynced writes are lost, except a random prefix that reached the platter. */
    void crash(RandomGenerator random) {
        int survivors = unsynced.isEmpty() ? 0 : random.nextInt(unsynced.size() + 1);
        for (int i = 0; i < survivors; i++) {
            PendingWrite write = unsynced.pollFirst();
            boolean last = i == survivors - 1;
            // The last surviving batch may be torn: recovery cuts the torn record and what follows it.
            int keep = last && !write.entries().isEmpty() && random.nextBoolean()
                    ? random.nextInt(write.entries().size() + 1) : Integer.MAX_VALUE;
            apply(write, keep);
        }
        unsynced.clear();
    }

    private void apply(PendingWrite write, int maxEntries) {
        write.hardState().ifPresent(state -> hardState = state);
        List<Entry> entries = write.entries().subList(0, Math.min(maxEntries, write.entries().size()));
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        if (first <= walStart.index()) {
            return; // a write from before a tablet copy reset the WAL past it
        }
        long lastIndex = walStart.index() + wal.size();
        if (first > lastIndex + 1) {
            return; // its predecessor was torn or lost: recovery would stop before this
        }
        while (walStart.index() + wal.size() >= first) {
            wal.remove(wal.size() - 1);
        }
        wal.addAll(entries);
    }

    OpId lastDurableOpId() {
        return wal.isEmpty() ? walStart : wal.get(wal.size() - 1).opId();
    }

    Optional<Entry> durableEntry(long index) {
        long offset = index - walStart.index() - 1;
        return offset >= 0 && offset < wal.size() ? Optional.of(wal.get((int) offset)) : Optional.empty();
    }

    /** A tablet copy arrived: the WAL restarts after its last entry and the snapshot replaces the state. */
    void installTabletCopy(KvStateMachine.Snapshot snapshot, long chainHash) {
        unsynced.clear();
        wal.clear();
        walStart = snapshot.lastIncluded();
        walStartChainHash = chainHash;
        stateMachineSnapshot = snapshot;
    }

    /** The state machine flushed a snapshot; WAL entries up to {@code throughIndex} are no longer needed. */
    void flushAndCollect(KvStateMachine.Snapshot snapshot, long throughIndex, long chainHashAtThrough) {
        Check.state(throughIndex <= snapshot.lastIncluded().index(), "GC past the durable state machine");
        stateMachineSnapshot = snapshot;
        if (throughIndex <= walStart.index()) {
            return;
        }
        long durableLast = walStart.index() + wal.size();
        long drop = Math.min(throughIndex, durableLast) - walStart.index();
        if (drop <= 0) {
            return;
        }
        OpId newStart = wal.get((int) drop - 1).opId();
        wal.subList(0, (int) drop).clear();
        walStart = newStart;
        walStartChainHash = chainHashAtThrough;
    }
}
