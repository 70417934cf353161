package basalt.consensus.core;

import java.util.List;

/**
 * The core's view of the replicated log: a contiguous run of entries {@code [firstIndex, lastIndex]}
 * that follows a known {@code snapshotOpId} (the last entry covered by a tablet copy or deleted by GC).
 *
 * <p>The core calls {@link #append} as soon as it decides on entries; making them durable is the
 * driver's job (it writes the same entries to the WAL, from {@code Ready}). Implementations: an in-memory
 * log in the simulator, and the byte-bounded log cache over the WAL in production, whose reads may fall
 * back to disk for entries it no longer holds.
 */
public interface RaftLog {
    /** The OpId just before {@link #firstIndex()}: {@link OpId#ZERO} for a log that was never trimmed. */
    OpId snapshotOpId();

    /** Index of the oldest retained entry; {@code lastIndex() + 1} when the log holds no entries. */
    default long firstIndex() {
        return snapshotOpId().index() + 1;
    }

    /** Index of the newest entry, or {@code snapshotOpId().index()} when there is none. */
    long lastIndex();

    /**
     * Term of the entry at {@code index}; the snapshot's term at {@code snapshotOpId().index()}; and
     * {@code -1} when the index is outside {@code [snapshotIndex, lastIndex]} (unknown).
     */
    long term(long index);

    /** The OpId of the newest entry (or the snapshot's OpId when empty). */
    default OpId lastOpId() {
        long last = lastIndex();
        return new OpId(term(last), last);
    }

    /**
     * Entries from {@code fromIndex} to at most {@code toIndexInclusive}, stopping once {@code maxBytes}
     * is reached but always returning at least one entry when the range is not empty.
     * {@code fromIndex} must be at least {@link #firstIndex()}.
     */
    List<Entry> entries(long fromIndex, long toIndexInclusive, long maxBytes);

    /**
     * Appends entries whose indexes are contiguous and start at most at {@code lastIndex() + 1}. Existing
     * entries at or after the first new index are replaced (a follower resolving a conflict, section 5.3).
     * Committed entries are never replaced: the core never asks.
     */
    void append(List<Entry> entries);

    /** Drops every entry and restarts the log right after {@code snapshotOpId} (after a tablet copy). */
    void resetTo(OpId snapshotOpId);
}
