package basalt.consensus.wal;

import basalt.common.check.Check;
import basalt.consensus.core.OpId;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The fixed header at the start of every segment file:
 * {@code [magic u32][version u16][flags u16][sequence u64][firstIndex u64][prevTerm u64][crc32c u32]}
 * (big-endian, {@value #SIZE_BYTES} bytes). The CRC covers every byte before it.
 *
 * <p>{@code prevTerm} is the term of entry {@code firstIndex - 1}, so the term of the entry just before
 * the oldest retained one stays known after GC or a tablet copy (the log matching check needs it).
 * {@code sequence} orders segments; file names carry it. The {@link #FLAG_LOG_START} flag marks a
 * segment that starts a log (a new WAL, or {@code resetTo} after a tablet copy): every older segment is
 * a leftover of an interrupted reset and is deleted by recovery.
 */
public record SegmentHeader(long sequence, long firstIndex, long prevTerm, boolean logStart) {
    public static final int MAGIC = 0x4257_414C; // "BWAL"
    public static final short VERSION = 1;
    public static final int SIZE_BYTES = 4 + 2 + 2 + 8 + 8 + 8 + 4;
    static final int FLAG_LOG_START = 1;

    public SegmentHeader {
        Check.arg(sequence > 0, "segment sequence %s must be positive", sequence);
        Check.arg(firstIndex > 0, "segment firstIndex %s must be positive", firstIndex);
        Check.arg(prevTerm >= 0, "segment prevTerm %s must not be negative", prevTerm);
    }

    /** The OpId just before this segment's first entry. */
    public OpId prevOpId() {
        return new OpId(prevTerm, firstIndex - 1);
    }

    public ByteBuffer encode() {
        ByteBuffer buffer = ByteBuffer.allocate(SIZE_BYTES);
        buffer.putInt(MAGIC).putShort(VERSION).putShort((short) (logStart ? FLAG_LOG_START : 0));
        buffer.putLong(sequence).putLong(firstIndex).putLong(prevTerm);
        CRC32C crc = new CRC32C();
        crc.update(buffer.array(), 0, SIZE_BYTES - 4);
        buffer.putInt((int) crc.getValue());
        buffer.flip();
        return buffer;
    }

    /**
     * Decodes a header from exactly {@value #SIZE_BYTES} bytes, or returns why it is not one.
     *
     * @return the header, or {@code null} with the reason appended to {@code whyNot}
     */
    static SegmentHeader decode(ByteBuffer bytes, StringBuilder whyNot) {
        if (bytes.remaining() < SIZE_BYTES) {
            whyNot.append("segment header truncated: ").append(bytes.remaining()).append(" of ")
                    .append(SIZE_BYTES).append(" bytes");
            return null;
        }
        int start = bytes.position();
        CRC32C crc = new CRC32C();
        ByteBuffer covered = bytes.duplicate().limit(start + SIZE_BYTES - 4);
        crc.update(covered);
        int magic = bytes.getInt(start);
        short version = bytes.getShort(start + 4);
        short flags = bytes.getShort(start + 6);
        long sequence = bytes.getLong(start + 8);
        long firstIndex = bytes.getLong(start + 16);
        long prevTerm = bytes.getLong(start + 24);
        int storedCrc = bytes.getInt(start + 32);
        if (magic != MAGIC) {
            whyNot.append(String.format("bad segment magic 0x%08x", magic));
            return null;
        }
        if ((int) crc.getValue() != storedCrc) {
            whyNot.append("segment header CRC mismatch");
            return null;
        }
        if (version != VERSION) {
            whyNot.append("unsupported segment version ").append(version);
            return null;
        }
        if (sequence <= 0 || firstIndex <= 0 || prevTerm < 0) {
            whyNot.append("implausible segment header: sequence=").append(sequence).append(" firstIndex=")
                    .append(firstIndex).append(" prevTerm=").append(prevTerm);
            return null;
        }
        return new SegmentHeader(sequence, firstIndex, prevTerm, (flags & FLAG_LOG_START) != 0);
    }
}
