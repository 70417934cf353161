package basalt.common.key;

import java.io.ByteArrayOutputStream;

/**
 * The byte-level pieces of the order-preserving key encoding and of hash bucketing, shared by the tablet
 * (which stores and partitions rows) and the client (which routes rows to tablets): both must produce the
 * same bytes, so the rules live in one place. The per-type choice of rule (which width an INT32 has, ...)
 * stays with each side's type system; see the server's {@code KeyEncoder} for the full encoding.
 */
public final class KeyBytes {
    private KeyBytes() {}

    /** A signed integer of {@code widthBytes} bytes, big-endian with the sign bit flipped: negatives sort first. */
    public static void writeSigned(ByteArrayOutputStream out, long value, int widthBytes) {
        long signBit = 1L << (widthBytes * 8 - 1);
        writeBigEndian(out, value ^ signBit, widthBytes);
    }

    public static void writeBool(ByteArrayOutputStream out, boolean value) {
        out.write(value ? 1 : 0);
    }

    /** IEEE bits (NaN canonical), all bits flipped for negatives and only the sign bit for positives. */
    public static void writeFloat(ByteArrayOutputStream out, float value) {
        int bits = Float.floatToIntBits(value);
        writeBigEndian(out, bits < 0 ? ~bits : bits ^ Integer.MIN_VALUE, 4);
    }

    public static void writeDouble(ByteArrayOutputStream out, double value) {
        long bits = Double.doubleToLongBits(value);
        writeBigEndian(out, bits < 0 ? ~bits : bits ^ Long.MIN_VALUE, 8);
    }

    /** Each 0x00 becomes 0x00 0x01 and the value ends with 0x00 0x00: self-delimiting, order kept. */
    public static void writeEscaped(ByteArrayOutputStream out, byte[] bytes) {
        for (byte b : bytes) {
            out.write(b);
            if (b == 0) {
                out.write(1);
            }
        }
        out.write(0);
        out.write(0);
    }

    /**
     * The hash bucket of a row: XXH64 (seed 0) of the encoded hash columns, as an unsigned number modulo
     * {@code buckets}.
     */
    public static int hashBucket(byte[] encodedHashColumns, int buckets) {
        return (int) Long.remainderUnsigned(XxHash64.hash(encodedHashColumns, 0), buckets);
    }

    private static void writeBigEndian(ByteArrayOutputStream out, long value, int widthBytes) {
        for (int shift = (widthBytes - 1) * 8; shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift) & 0xFF);
        }
    }
}
