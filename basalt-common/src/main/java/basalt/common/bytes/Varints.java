package basalt.common.bytes;

import java.nio.ByteBuffer;

/**
 * Unsigned LEB128 varints of non-negative ints (7 bits a byte, low bits first, high bit set on every byte but
 * the last): protobuf's and RocksDB's encoding, used by the packed row blocks, the stored row format and the
 * WriteBatch the tablet builds, so all of them write lengths and ids the same way.
 */
public final class Varints {
    /** Bytes of the longest int varint. */
    public static final int MAX_INT_BYTES = 5;

    private Varints() {}

    /** How many bytes {@code value} takes. */
    public static int size(int value) {
        int size = 1;
        while ((value & ~0x7F) != 0) {
            value >>>= 7;
            size++;
        }
        return size;
    }

    /** Writes {@code value} at {@code at} and returns the position after it; {@code out} must have room. */
    public static int put(byte[] out, int at, int value) {
        while ((value & ~0x7F) != 0) {
            out[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out[at++] = (byte) value;
        return at;
    }

    /** Writes {@code value} at the buffer's position and advances it. */
    public static void put(ByteBuffer out, int value) {
        while ((value & ~0x7F) != 0) {
            out.put((byte) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.put((byte) value);
    }
}
