package basalt.consensus.wal;

import basalt.common.check.Check;
import java.io.IOException;
import java.util.Collections;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Who still needs which part of the log. Each holder (the state machine's durable point, a tablet copy
 * in progress, a slow peer being caught up) registers a named anchor: the oldest index it still needs.
 * The minimum decides GC: segments whose every entry is below it are deleted. No anchor means nothing
 * is known to be safe to delete, so nothing is. Thread-safe; names are listed in sorted order so a web
 * page or a tool shows them stably.
 */
public final class Anchors {
    private final TreeMap<String, Long> indexByName = new TreeMap<>();

    /** Sets (or moves, either way) the anchor {@code name} to {@code index}. */
    public synchronized void set(String name, long index) {
        Check.arg(name != null && !name.isBlank(), "anchor name must not be blank");
        Check.arg(index >= 0, "anchor %s index %s must not be negative", name, index);
        indexByName.put(name, index);
    }

    /** Removes the anchor {@code name}; returns whether it existed. */
    public synchronized boolean remove(String name) {
        return indexByName.remove(name) != null;
    }

    /** The lowest anchored index, or empty when nobody anchors anything. */
    public synchronized OptionalLong minimum() {
        return indexByName.values().stream().mapToLong(Long::longValue).min();
    }

    /** Every anchor by name, a copy in name order. */
    public synchronized SortedMap<String, Long> list() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(indexByName));
    }

    /** Deletes the WAL segments below every anchor; returns how many were deleted. */
    public int deleteUnanchoredSegments(Wal wal) throws IOException {
        OptionalLong minimum = minimum();
        return minimum.isPresent() ? wal.deleteSegmentsBelow(minimum.getAsLong()) : 0;
    }

    @Override
    public synchronized String toString() {
        return "Anchors" + indexByName;
    }
}
