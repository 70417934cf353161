package basalt.consensus.core;

/** What a log entry carries. The numeric codes are written to the WAL: never renumber them. */
public enum EntryType {
    /** Appended by every new leader at the start of its term; commits the log before it (section 5.4.2). */
    NO_OP(1),
    /** A state machine operation proposed by a client. */
    NORMAL(2),
    /** A new membership, effective on every replica as soon as it is appended (section 4.1). */
    CONFIG(3);

    private final int code;

    EntryType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static EntryType fromCode(int code) {
        for (EntryType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown entry type code " + code);
    }
}
