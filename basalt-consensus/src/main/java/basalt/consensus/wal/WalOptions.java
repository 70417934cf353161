package basalt.consensus.wal;

import basalt.common.check.Check;

/**
 * Tunables of one {@link Wal}. Defaults live here, in one place.
 *
 * @param segmentSizeBytes the active segment is rolled once it holds at least this many bytes; a single
 *     batch is never split, so a segment may exceed it by one batch
 * @param sparseIndexIntervalBytes one sparse-index point is kept per this many bytes of records, so a
 *     read by index scans at most about this many bytes (plus one record) before reaching its entry
 */
public record WalOptions(long segmentSizeBytes, int sparseIndexIntervalBytes) {
    public static final long DEFAULT_SEGMENT_SIZE_BYTES = 64L * 1024 * 1024;
    public static final int DEFAULT_SPARSE_INDEX_INTERVAL_BYTES = 4096;

    public WalOptions {
        Check.arg(segmentSizeBytes >= SegmentHeader.SIZE_BYTES + RecordFramer.FRAME_HEADER_BYTES,
                "segmentSizeBytes %s is smaller than a header and one record", segmentSizeBytes);
        Check.arg(sparseIndexIntervalBytes > 0, "sparseIndexIntervalBytes %s must be positive",
                sparseIndexIntervalBytes);
    }

    public static WalOptions defaults() {
        return new WalOptions(DEFAULT_SEGMENT_SIZE_BYTES, DEFAULT_SPARSE_INDEX_INTERVAL_BYTES);
    }

    public WalOptions withSegmentSizeBytes(long newSegmentSizeBytes) {
        return new WalOptions(newSegmentSizeBytes, sparseIndexIntervalBytes);
    }
}
