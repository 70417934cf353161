package basalt.tablet;

import basalt.common.key.KeyBuffer;
import basalt.common.check.Check;
import basalt.common.key.KeyBytes;
import basalt.proto.DataType;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Order-preserving encoding of key tuples: comparing two encodings as unsigned bytes (memcmp) gives the
 * order of the tuples column by column, as {@link Values#compare} defines it. Per column:
 * <ul>
 *   <li>INT8/16/32/64 and TIMESTAMP: the type's width, big-endian, sign bit flipped (so negatives sort
 *       first); TIMESTAMP is 8 bytes like INT64.</li>
 *   <li>BOOL: one byte, 0 or 1.</li>
 *   <li>FLOAT/DOUBLE: the IEEE bits (NaN made canonical), all bits flipped for negatives and only the sign
 *       bit for positives, big-endian: -inf &lt; … &lt; -0.0 &lt; 0.0 &lt; … &lt; +inf &lt; NaN.</li>
 *   <li>STRING (UTF-8) and BINARY: each 0x00 byte becomes 0x00 0x01 and the value ends with 0x00 0x00.
 *       A value that is a prefix of another sorts first, and the terminator keeps the next column out of
 *       the comparison until this one is equal.</li>
 * </ul>
 * Every column is self-delimiting, so the encoding of a tuple is never a proper prefix of the encoding of
 * another full tuple, and the encoding of a leading sub-tuple is a byte prefix of the full one (what scans
 * by key prefix and range partitions rely on). Strings and binary are escaped even in the last column
 * (Kudu leaves them raw there): two bytes more, but decoding and prefixes need no special case.
 */
public final class KeyEncoder {
    private KeyEncoder() {}

    /** Encodes the first {@code values.length} columns of a tuple of {@code types} (a prefix is allowed). */
    public static byte[] encode(List<DataType> types, Object[] values) {
        Check.arg(values.length <= types.size(), "%s values for %s key columns", values.length, types.size());
        KeyBuffer out = new KeyBuffer(16);
        for (int i = 0; i < values.length; i++) {
            encodeColumn(types.get(i), values[i], out);
        }
        return out.toByteArray();
    }

    /** Encodes the primary key of a full row (cells in schema order). */
    public static byte[] encodeKey(Schema schema, Object[] row) {
        KeyBuffer out = new KeyBuffer(16);
        for (int i = 0; i < schema.keyColumnCount(); i++) {
            encodeColumn(schema.column(i).type(), row[i], out);
        }
        return out.toByteArray();
    }

    public static void encodeColumn(DataType type, Object value, ByteArrayOutputStream out) {
        Check.arg(value != null, "a key column of type %s must not be NULL", type);
        switch (type) {
            case INT8 -> KeyBytes.writeSigned(out, (Long) value, 1);
            case INT16 -> KeyBytes.writeSigned(out, (Long) value, 2);
            case INT32 -> KeyBytes.writeSigned(out, (Long) value, 4);
            case INT64, TIMESTAMP -> KeyBytes.writeSigned(out, (Long) value, 8);
            case BOOL -> KeyBytes.writeBool(out, (Boolean) value);
            case FLOAT -> KeyBytes.writeFloat(out, (Float) value);
            case DOUBLE -> KeyBytes.writeDouble(out, (Double) value);
            case STRING -> KeyBytes.writeEscaped(out, ((String) value).getBytes(StandardCharsets.UTF_8));
            case BINARY -> KeyBytes.writeEscaped(out, ((ByteString) value).toByteArray());
            default -> throw new IllegalArgumentException("unknown type " + type);
        }
    }

    /** Decodes a full tuple of {@code types}; fails if the bytes are not exactly one encoded tuple. */
    public static Object[] decode(List<DataType> types, byte[] bytes) {
        Object[] values = new Object[types.size()];
        int end = decodeInto(types, bytes, 0, values);
        Check.arg(end == bytes.length, "%s trailing bytes after an encoded key", bytes.length - end);
        return values;
    }

    /** Decodes the key columns of a stored key starting at {@code offset}; returns the offset after them. */
    static int decodeInto(List<DataType> types, byte[] bytes, int offset, Object[] values) {
        int position = offset;
        for (int i = 0; i < types.size(); i++) {
            DataType type = types.get(i);
            switch (type) {
                case INT8 -> values[i] = (long) (byte) (readBigEndian(bytes, position, 1) ^ 0x80L);
                case INT16 -> values[i] = (long) (short) (readBigEndian(bytes, position, 2) ^ 0x8000L);
                case INT32 -> values[i] = (long) (int) (readBigEndian(bytes, position, 4) ^ 0x8000_0000L);
                case INT64, TIMESTAMP -> values[i] = readBigEndian(bytes, position, 8) ^ Long.MIN_VALUE;
                case BOOL -> {
                    Check.arg(position < bytes.length, "encoded key ends inside a BOOL");
                    values[i] = bytes[position] != 0;
                }
                case FLOAT -> {
                    int bits = (int) readBigEndian(bytes, position, 4);
                    values[i] = Float.intBitsToFloat(bits < 0 ? bits ^ Integer.MIN_VALUE : ~bits);
                }
                case DOUBLE -> {
                    long bits = readBigEndian(bytes, position, 8);
                    values[i] = Double.longBitsToDouble(bits < 0 ? bits ^ Long.MIN_VALUE : ~bits);
                }
                case STRING, BINARY -> {
                    ByteArrayOutputStream raw = new ByteArrayOutputStream();
                    while (true) {
                        Check.arg(position + 1 < bytes.length, "encoded key ends inside a %s", type);
                        byte b = bytes[position];
                        if (b == 0) {
                            byte next = bytes[position + 1];
                            position += 2;
                            if (next == 0) {
                                break;
                            }
                            Check.arg(next == 1, "bad escape 0x00 0x%02x in an encoded key", next);
                            raw.write(0);
                        } else {
                            raw.write(b);
                            position++;
                        }
                    }
                    byte[] rawBytes = raw.toByteArray();
                    values[i] = type == DataType.STRING
                            ? new String(rawBytes, StandardCharsets.UTF_8) : ByteString.copyFrom(rawBytes);
                    continue;
                }
                default -> throw new IllegalArgumentException("unknown type " + type);
            }
            position += widthBytes(type);
        }
        return position;
    }

    private static int widthBytes(DataType type) {
        return switch (type) {
            case INT8, BOOL -> 1;
            case INT16 -> 2;
            case INT32, FLOAT -> 4;
            default -> 8;
        };
    }

    private static long readBigEndian(byte[] bytes, int offset, int widthBytes) {
        Check.arg(offset + widthBytes <= bytes.length, "encoded key ends inside a %s-byte column", widthBytes);
        long value = 0;
        for (int i = 0; i < widthBytes; i++) {
            value = (value << 8) | (bytes[offset + i] & 0xFF);
        }
        return value;
    }
}
