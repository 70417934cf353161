package basalt.consensus.wal;

import java.util.Arrays;

/**
 * The sparse in-memory index of one segment: the file offset of one record every
 * {@code intervalBytes} bytes, so a read by index scans at most about one interval. Built by recovery
 * and extended by appends; only the thread holding the WAL's write lock changes it.
 */
final class SegmentIndex {
    private final int intervalBytes;
    private long[] indexes = new long[16];
    private long[] offsets = new long[16];
    private int size;

    SegmentIndex(int intervalBytes) {
        this.intervalBytes = intervalBytes;
    }

    /** Called for every record in file order; keeps it when it is an interval past the last point kept. */
    void onRecord(long index, long offsetBytes) {
        if (size > 0 && offsetBytes - offsets[size - 1] < intervalBytes) {
            return;
        }
        if (size == indexes.length) {
            indexes = Arrays.copyOf(indexes, size * 2);
            offsets = Arrays.copyOf(offsets, size * 2);
        }
        indexes[size] = index;
        offsets[size] = offsetBytes;
        size++;
    }

    /** Offset of the last indexed record at or before {@code index}, or {@code fallbackOffsetBytes}. */
    long floorOffset(long index, long fallbackOffsetBytes) {
        int found = Arrays.binarySearch(indexes, 0, size, index);
        int slot = found >= 0 ? found : -found - 2;
        return slot >= 0 ? offsets[slot] : fallbackOffsetBytes;
    }

    /** Forgets points at or after {@code index} (their records were truncated). */
    void truncateFrom(long index) {
        int found = Arrays.binarySearch(indexes, 0, size, index);
        size = found >= 0 ? found : -found - 1;
    }

    int pointCount() {
        return size;
    }
}
