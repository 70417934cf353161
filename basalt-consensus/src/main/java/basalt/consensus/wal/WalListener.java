package basalt.consensus.wal;

/**
 * Told what a {@link Wal} does to the disk, for a server's metrics. Called on the thread doing the I/O
 * (often inside the WAL's locks), so an implementation must be quick and must not call back into the WAL.
 */
public interface WalListener {
    /** Listens to nothing. */
    WalListener NONE = new WalListener() {
        @Override
        public void fsynced(long nanos) {}

        @Override
        public void wrote(long bytes) {}
    };

    /** A group-commit fsync of segment data finished after {@code nanos}. */
    void fsynced(long nanos);

    /** {@code bytes} of records reached the segment file (buffered appends written out). */
    void wrote(long bytes);
}
