package basalt.common.key;

/**
 * XXH64 (Yann Collet's xxHash, 64-bit), written out here so that hash partitioning and checksums are the
 * same bytes-to-number function on every JVM and every version of this code: nothing is delegated to
 * {@code hashCode} or a library that could change. Checked against the reference test vectors.
 */
public final class XxHash64 {
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    private XxHash64() {}

    public static long hash(byte[] input, long seed) {
        return hash(input, 0, input.length, seed);
    }

    public static long hash(byte[] input, int offset, int length, long seed) {
        int position = offset;
        int end = offset + length;
        long h;
        if (length >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            int limit = end - 32;
            do {
                v1 = round(v1, readLong(input, position));
                v2 = round(v2, readLong(input, position + 8));
                v3 = round(v3, readLong(input, position + 16));
                v4 = round(v4, readLong(input, position + 24));
                position += 32;
            } while (position <= limit);
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = mergeRound(h, v1);
            h = mergeRound(h, v2);
            h = mergeRound(h, v3);
            h = mergeRound(h, v4);
        } else {
            h = seed + P5;
        }
        h += length;
        while (position + 8 <= end) {
            h ^= round(0, readLong(input, position));
            h = Long.rotateLeft(h, 27) * P1 + P4;
            position += 8;
        }
        if (position + 4 <= end) {
            h ^= (readInt(input, position) & 0xFFFF_FFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            position += 4;
        }
        while (position < end) {
            h ^= (input[position] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
            position++;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long round(long accumulator, long input) {
        accumulator += input * P2;
        accumulator = Long.rotateLeft(accumulator, 31);
        return accumulator * P1;
    }

    private static long mergeRound(long accumulator, long value) {
        accumulator ^= round(0, value);
        return accumulator * P1 + P4;
    }

    private static long readLong(byte[] bytes, int offset) {
        long value = 0;
        for (int i = 7; i >= 0; i--) {
            value = (value << 8) | (bytes[offset + i] & 0xFFL);
        }
        return value;
    }

    private static int readInt(byte[] bytes, int offset) {
        return (bytes[offset] & 0xFF) | (bytes[offset + 1] & 0xFF) << 8 | (bytes[offset + 2] & 0xFF) << 16
                | (bytes[offset + 3] & 0xFF) << 24;
    }
}
