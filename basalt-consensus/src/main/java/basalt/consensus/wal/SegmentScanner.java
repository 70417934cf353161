package basalt.consensus.wal;

import basalt.consensus.core.Entry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Walks the records of one segment file in order, the same way for recovery and for
 * {@code basalt wal dump}. It reports where a clean run of records stops and why; deciding whether a
 * stop is a torn tail or corruption is {@link Recovery}'s job.
 */
public final class SegmentScanner implements Closeable {
    private static final int WINDOW_BYTES = 1024 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final FrameCursor cursor;
    private final SegmentHeader header;
    private long positionBytes = SegmentHeader.SIZE_BYTES;
    private RecordFramer.Frame stopFrame;

    /** One whole record and where it starts. */
    public record ScannedRecord(long offsetBytes, int frameBytes, Entry entry) {}

    private SegmentScanner(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.cursor = new FrameCursor(channel, channel.size(), WINDOW_BYTES);
        StringBuilder whyNot = new StringBuilder();
        this.header = SegmentHeader.decode(cursor.view(0, SegmentHeader.SIZE_BYTES), whyNot);
        if (header == null) {
            // Headers are written to a temporary file and renamed into place, so a bad one is never torn.
            throw new WalCorruptionException(path, 0, whyNot.toString());
        }
    }

    /** Opens a segment and checks its header; a bad header is corruption wherever the segment is. */
    public static SegmentScanner open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SegmentScanner(path, channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public SegmentHeader header() {
        return header;
    }

    public long fileSizeBytes() {
        return cursor.endBytes();
    }

    /** The next whole record, or {@code null} at the end of the file or at a frame that does not decode. */
    public ScannedRecord next() throws IOException {
        if (stopFrame != null || positionBytes >= cursor.endBytes()) {
            return null;
        }
        RecordFramer.Frame frame = cursor.frameAt(positionBytes);
        if (frame.status() != RecordFramer.Frame.Status.OK) {
            stopFrame = frame;
            return null;
        }
        ScannedRecord record = new ScannedRecord(positionBytes, frame.frameBytes(), frame.entry());
        positionBytes += frame.frameBytes();
        return record;
    }

    /** Offset just past the last whole record returned (where a stop happened, if one did). */
    public long positionBytes() {
        return positionBytes;
    }

    /** The frame that stopped the scan, or {@code null} when the scan reached the end of the file cleanly. */
    public RecordFramer.Frame stopFrame() {
        return stopFrame;
    }

    /**
     * Whether any valid record starts after {@code badOffsetBytes} with an index above
     * {@code lastGoodIndex}: if one does, the bad frame is not a torn tail but corruption in the middle.
     * Every offset is tried, because a corrupt length field hides where the next record starts; the
     * index plausibility check keeps CRC work to the offsets that could really start a record.
     */
    public long findValidRecordAfter(long badOffsetBytes, long lastGoodIndex) throws IOException {
        long endBytes = cursor.endBytes();
        long maxRecords = (endBytes - badOffsetBytes) / (RecordFramer.FRAME_HEADER_BYTES + RecordFramer.MIN_BODY_BYTES) + 1;
        // Bounded by the file size: one step per byte offset.
        for (long offset = badOffsetBytes + 1; offset + RecordFramer.FRAME_HEADER_BYTES + RecordFramer.MIN_BODY_BYTES <= endBytes; offset++) {
            long index = cursor.peekIndexAt(offset);
            if (index > lastGoodIndex && index <= lastGoodIndex + maxRecords
                    && cursor.frameAt(offset).status() == RecordFramer.Frame.Status.OK) {
                return offset;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
