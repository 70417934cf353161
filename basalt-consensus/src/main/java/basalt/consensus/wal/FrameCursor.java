package basalt.consensus.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads frames from a segment file through a window buffer with positional reads, so scanning a segment
 * costs one read call per window rather than two per record, and memory stays bounded by the window
 * (grown only for a record larger than it). Positional reads never move the channel's position, so a
 * cursor may read a segment that another thread is appending to.
 */
final class FrameCursor {
    private final FileChannel channel;
    private final long endBytes;
    private final int windowBytes;
    private ByteBuffer window = ByteBuffer.allocate(0);
    private long windowStartBytes;

    /**
     * @param endBytes the cursor never reads at or past this offset (the file size, or the end of the
     *     last whole record for a live segment)
     */
    FrameCursor(FileChannel channel, long endBytes, int windowBytes) {
        this.channel = channel;
        this.endBytes = endBytes;
        this.windowBytes = windowBytes;
    }

    long endBytes() {
        return endBytes;
    }

    /** The frame starting at {@code positionBytes}; INCOMPLETE when the file ends inside it. */
    RecordFramer.Frame frameAt(long positionBytes) throws IOException {
        ByteBuffer view = view(positionBytes, RecordFramer.FRAME_HEADER_BYTES);
        if (view.remaining() >= RecordFramer.FRAME_HEADER_BYTES) {
            int bodyBytes = view.getInt(view.position());
            if (bodyBytes >= RecordFramer.MIN_BODY_BYTES && bodyBytes <= RecordFramer.MAX_BODY_BYTES) {
                view = view(positionBytes, RecordFramer.FRAME_HEADER_BYTES + bodyBytes);
            }
        }
        return RecordFramer.decode(view);
    }

    /** The index field of a plausible frame at {@code positionBytes} (no CRC check), or -1. */
    long peekIndexAt(long positionBytes) throws IOException {
        ByteBuffer view = view(positionBytes, RecordFramer.FRAME_HEADER_BYTES + RecordFramer.MIN_BODY_BYTES);
        if (view.remaining() < RecordFramer.FRAME_HEADER_BYTES + RecordFramer.MIN_BODY_BYTES) {
            return -1;
        }
        int bodyBytes = view.getInt(view.position());
        if (bodyBytes < RecordFramer.MIN_BODY_BYTES || bodyBytes > RecordFramer.MAX_BODY_BYTES
                || endBytes - positionBytes - RecordFramer.FRAME_HEADER_BYTES < bodyBytes) {
            return -1;
        }
        return view.getLong(view.position() + RecordFramer.FRAME_HEADER_BYTES + 8);
    }

    /**
     * A view whose position is {@code positionBytes} and which holds at least {@code wantedBytes} bytes,
     * or every byte up to {@link #endBytes} when fewer remain.
     */
    ByteBuffer view(long positionBytes, int wantedBytes) throws IOException {
        long availableBytes = Math.max(0, endBytes - positionBytes);
        int neededBytes = (int) Math.min(wantedBytes, availableBytes);
        boolean covered = positionBytes >= windowStartBytes
                && positionBytes + neededBytes <= windowStartBytes + window.limit();
        if (!covered) {
            int capacity = (int) Math.min(Math.max(windowBytes, neededBytes), availableBytes);
            if (window.capacity() < capacity) {
                window = ByteBuffer.allocate(capacity);
            }
            window.clear().limit(capacity);
            windowStartBytes = positionBytes;
            // Bounded: every iteration reads at least one byte or stops at end of file.
            while (window.hasRemaining()) {
                int read = channel.read(window, positionBytes + window.position());
                if (read < 0) {
                    break;
                }
            }
            window.flip();
        }
        return window.duplicate().position((int) (positionBytes - windowStartBytes));
    }
}
