package basalt.consensus.wal;

import basalt.common.check.Check;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The one framing of WAL records, shared by the writer, recovery, reads by index and {@code basalt wal
 * dump}, so a tool and the server never disagree about what a WAL says.
 *
 * <p>A record is {@code [bodyLength u32][crc32c u32][body]} with the body
 * {@code [term u64][index u64][type code u8][payload]} (big-endian). The CRC covers the whole body, so
 * the type, the OpId and the payload are all protected. The CRC is checked right after framing (a
 * paired check: a record we could not read back is never written) and on every read.
 */
public final class RecordFramer {
    /** Length and CRC. */
    public static final int FRAME_HEADER_BYTES = 8;
    /** Term, index and type: a body with an empty payload. */
    public static final int MIN_BODY_BYTES = 8 + 8 + 1;
    /** A bound on one record, so a garbage length is recognised as garbage. */
    public static final int MAX_BODY_BYTES = 256 * 1024 * 1024;

    private RecordFramer() {}

    /** The bytes one entry takes on disk, frame included. */
    public static int frameSizeBytes(Entry entry) {
        return FRAME_HEADER_BYTES + MIN_BODY_BYTES + entry.payload().size();
    }

    /** Frames a batch into one buffer (written with one write call), checking each CRC after framing. */
    public static ByteBuffer frame(List<Entry> entries) {
        long totalBytes = 0;
        for (Entry entry : entries) {
            Check.arg(entry.payload().size() <= MAX_BODY_BYTES - MIN_BODY_BYTES,
                    "entry %s payload of %s bytes exceeds the record bound", entry.opId(), entry.payload().size());
            totalBytes += frameSizeBytes(entry);
        }
        Check.arg(totalBytes <= Integer.MAX_VALUE, "batch of %s bytes is too large to frame", totalBytes);
        ByteBuffer buffer = ByteBuffer.allocate((int) totalBytes);
        for (Entry entry : entries) {
            int frameStart = buffer.position();
            int bodyBytes = MIN_BODY_BYTES + entry.payload().size();
            buffer.putInt(bodyBytes).putInt(0);
            int bodyStart = buffer.position();
            buffer.putLong(entry.term()).putLong(entry.index()).put((byte) entry.type().code());
            entry.payload().copyTo(buffer);
            int crc = crc(buffer.array(), bodyStart, bodyBytes);
            buffer.putInt(frameStart + 4, crc);
            // Paired check: decode what we just framed, exactly as recovery will, but with the payload read in
            // place (no copy): the check must not double the WAL's allocation, the largest on the write path.
            Frame check = decode(buffer.duplicate().position(frameStart).limit(buffer.position()), false);
            Check.state(check.status() == Frame.Status.OK && readsBackAs(check.entry(), entry),
                    "framing of %s does not read back: %s", entry.opId(), check.reason());
        }
        buffer.flip();
        return buffer;
    }

    /**
     * Entry equality, with the payloads compared as ByteBuffers: {@code ByteString.equals} of two array-backed
     * strings compares byte by byte in a loop the JIT does not vectorize (2-3% of a Raft worker's samples with
     * 100 KB entries), where {@code ByteBuffer.equals} uses the JDK's vectorized mismatch.
     */
    static boolean readsBackAs(Entry read, Entry framed) {
        return read.opId().equals(framed.opId()) && read.type() == framed.type()
                && read.payload().asReadOnlyByteBuffer().equals(framed.payload().asReadOnlyByteBuffer());
    }

    /**
     * Decodes the record at the buffer's position. The buffer's limit is the end of the readable bytes
     * (end of file or of what was read); the buffer's position is not moved.
     */
    public static Frame decode(ByteBuffer bytes) {
        return decode(bytes, true);
    }

    /** {@code copyPayload} false: the entry's payload is a view of {@code bytes}, valid while they are unchanged. */
    private static Frame decode(ByteBuffer bytes, boolean copyPayload) {
        int start = bytes.position();
        int available = bytes.remaining();
        if (available < FRAME_HEADER_BYTES) {
            return Frame.bad(Frame.Status.INCOMPLETE, "only " + available + " bytes left, a frame header needs "
                    + FRAME_HEADER_BYTES);
        }
        int bodyBytes = bytes.getInt(start);
        int storedCrc = bytes.getInt(start + 4);
        if (bodyBytes < MIN_BODY_BYTES || bodyBytes > MAX_BODY_BYTES) {
            return Frame.bad(Frame.Status.BAD_LENGTH, "implausible record length " + Integer.toUnsignedString(bodyBytes));
        }
        if (available - FRAME_HEADER_BYTES < bodyBytes) {
            return Frame.bad(Frame.Status.INCOMPLETE, "record of " + bodyBytes + " body bytes but only "
                    + (available - FRAME_HEADER_BYTES) + " bytes follow");
        }
        int bodyStart = start + FRAME_HEADER_BYTES;
        int actualCrc = crc(bytes, bodyStart, bodyBytes);
        if (actualCrc != storedCrc) {
            return Frame.bad(Frame.Status.BAD_CRC, String.format("record CRC mismatch (stored 0x%08x, computed 0x%08x)",
                    storedCrc, actualCrc));
        }
        long term = bytes.getLong(bodyStart);
        long index = bytes.getLong(bodyStart + 8);
        int typeCode = bytes.get(bodyStart + 16);
        if (term <= 0 || index <= 0) {
            return Frame.bad(Frame.Status.BAD_CONTENT, "record with CRC intact but OpId " + term + "." + index);
        }
        EntryType type;
        try {
            type = EntryType.fromCode(typeCode);
        } catch (IllegalArgumentException unknown) {
            return Frame.bad(Frame.Status.BAD_CONTENT, "record " + term + "." + index + " has unknown type code " + typeCode);
        }
        ByteBuffer payloadBytes = bytes.duplicate().position(bodyStart + MIN_BODY_BYTES).limit(bodyStart + bodyBytes);
        ByteString payload = copyPayload ? ByteString.copyFrom(payloadBytes)
                : UnsafeByteOperations.unsafeWrap(payloadBytes.slice());
        Entry entry = new Entry(new OpId(term, index), type, payload);
        return new Frame(Frame.Status.OK, entry, FRAME_HEADER_BYTES + bodyBytes, "");
    }

    /**
     * Reads only the index field of a plausible frame at the buffer's position, without checking the CRC,
     * or -1 when the frame header is implausible or the frame does not fit. Recovery uses it to skip
     * CRC work on offsets that cannot start a record.
     */
    static long peekIndex(ByteBuffer bytes) {
        int start = bytes.position();
        if (bytes.remaining() < FRAME_HEADER_BYTES + MIN_BODY_BYTES) {
            return -1;
        }
        int bodyBytes = bytes.getInt(start);
        if (bodyBytes < MIN_BODY_BYTES || bodyBytes > MAX_BODY_BYTES || bytes.remaining() - FRAME_HEADER_BYTES < bodyBytes) {
            return -1;
        }
        return bytes.getLong(start + FRAME_HEADER_BYTES + 8);
    }

    private static int crc(byte[] array, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(array, offset, length);
        return (int) crc.getValue();
    }

    private static int crc(ByteBuffer bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.duplicate().limit(offset + length).position(offset));
        return (int) crc.getValue();
    }

    /** One decoded record, or why the bytes at that place are not one. */
    public record Frame(Status status, Entry entry, int frameBytes, String reason) {
        public enum Status {
            /** A whole record with a matching CRC. */
            OK,
            /** The file ends inside the frame: what a torn last write leaves. */
            INCOMPLETE,
            /** The length field cannot be a record's. */
            BAD_LENGTH,
            /** The bytes are all there but the CRC does not match. */
            BAD_CRC,
            /** The CRC matches but the fields make no sense (a bug, not a torn write). */
            BAD_CONTENT
        }

        static Frame bad(Status status, String reason) {
            return new Frame(status, null, 0, reason);
        }
    }
}
