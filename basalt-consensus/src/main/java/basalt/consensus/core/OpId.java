package basalt.consensus.core;

import basalt.common.check.Check;

/**
 * A position in the log: the term of the leader that created the entry, and its index. OpIds order
 * by term first, which is the "more up to date" order of the Raft thesis (section 3.6.1).
 */
public record OpId(long term, long index) implements Comparable<OpId> {
    /** The position before the first entry: every log starts after it. */
    public static final OpId ZERO = new OpId(0, 0);

    public OpId {
        Check.arg(term >= 0 && index >= 0, "term %s and index %s must not be negative", term, index);
    }

    @Override
    public int compareTo(OpId other) {
        int byTerm = Long.compare(term, other.term);
        return byTerm != 0 ? byTerm : Long.compare(index, other.index);
    }

    @Override
    public String toString() {
        return term + "." + index;
    }
}
