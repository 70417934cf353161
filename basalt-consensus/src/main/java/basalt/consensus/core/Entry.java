package basalt.consensus.core;

import basalt.common.check.Check;
import com.google.protobuf.ByteString;

/**
 * One log entry. {@code payload} is opaque to consensus for NORMAL entries, empty for NO_OP, and the
 * encoded {@link Membership} for CONFIG entries.
 */
public record Entry(OpId opId, EntryType type, ByteString payload) {
    /** Fixed per-entry overhead counted by byte budgets (OpId, type, framing). */
    public static final int OVERHEAD_BYTES = 24;

    public Entry {
        Check.arg(opId != null && type != null && payload != null, "entry fields must not be null");
        Check.arg(opId.index() > 0 && opId.term() > 0, "entry OpId %s must have positive term and index", opId);
    }

    public long term() {
        return opId.term();
    }

    public long index() {
        return opId.index();
    }

    /** The bytes this entry costs in a cache or a message budget. */
    public long sizeBytes() {
        return OVERHEAD_BYTES + payload.size();
    }
}
