package basalt.tablet;

import basalt.common.bytes.Varints;
import basalt.common.check.Check;
import basalt.proto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The stored value of a row version: one kind byte (0 = tombstone, 1 = row), then for a row each non-NULL
 * column, in the schema order of the writer, as {@code varint column id, varint length, value}: 8 bytes
 * for the integer types and TIMESTAMP, 1 for BOOL, 4/8 for FLOAT/DOUBLE bits, the bytes of STRING (UTF-8)
 * and BINARY; big-endian. Canonical for a schema (one encoding per row), so checksums agree across replicas,
 * which apply the same entries under the same schema.
 *
 * <p>Keyed by column id, so a row written under one schema version reads under any later one: a column
 * the row does not hold (added since, or NULL) reads NULL, and a cell whose id the reading schema lacks
 * (the column was dropped; ids are never reused) is skipped by its length.
 */
final class RowCodec {
    static final byte TOMBSTONE = 0;
    static final byte ROW = 1;

    private RowCodec() {}

    static byte[] tombstone() {
        return new byte[] {TOMBSTONE};
    }

    static byte[] encode(Schema schema, Object[] row) {
        Check.state(row.length == schema.columnCount(), "row of %s cells for a schema of %s columns",
                row.length, schema.columnCount());
        int size = 1;
        byte[][] variable = new byte[row.length][];
        for (int i = 0; i < row.length; i++) {
            if (row[i] == null) {
                continue;
            }
            DataType type = schema.column(i).type();
            int length;
            if (type == DataType.STRING) {
                variable[i] = ((String) row[i]).getBytes(StandardCharsets.UTF_8);
                length = variable[i].length;
            } else if (type == DataType.BINARY) {
                variable[i] = ((ByteString) row[i]).toByteArray();
                length = variable[i].length;
            } else {
                length = fixedLength(type);
            }
            size += Varints.size(schema.column(i).id()) + Varints.size(length) + length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put(ROW);
        for (int i = 0; i < row.length; i++) {
            if (row[i] == null) {
                continue;
            }
            DataType type = schema.column(i).type();
            Varints.put(out, schema.column(i).id());
            Varints.put(out, variable[i] != null ? variable[i].length : fixedLength(type));
            switch (type) {
                case INT8, INT16, INT32, INT64, TIMESTAMP -> out.putLong((Long) row[i]);
                case BOOL -> out.put((byte) ((Boolean) row[i] ? 1 : 0));
                case FLOAT -> out.putInt(Float.floatToIntBits((Float) row[i]));
                case DOUBLE -> out.putLong(Double.doubleToLongBits((Double) row[i]));
                case STRING, BINARY -> out.put(variable[i]);
                default -> throw new IllegalStateException("unknown type " + type);
            }
        }
        Check.state(!out.hasRemaining(), "row encoding size miscounted");
        return out.array();
    }

    static boolean isTombstone(byte[] value) {
        Check.state(value.length >= 1 && (value[0] == TOMBSTONE || value[0] == ROW), "corrupt row value");
        return value[0] == TOMBSTONE;
    }

    /** The row's cells in {@code schema}'s column order; see the class comment for columns it lacks. */
    static Object[] decode(Schema schema, byte[] value) {
        Check.state(!isTombstone(value), "decoding a tombstone");
        ByteBuffer in = ByteBuffer.wrap(value, 1, value.length - 1);
        Object[] row = new Object[schema.columnCount()];
        while (in.hasRemaining()) {
            int id = getVarint(in);
            int length = getVarint(in);
            int index = schema.indexOfId(id);
            if (index < 0) {
                in.position(in.position() + length); // a dropped column
                continue;
            }
            DataType type = schema.column(index).type();
            Check.state(type == DataType.STRING || type == DataType.BINARY || length == fixedLength(type),
                    "stored cell of column id %s is %s bytes, not a %s", id, length, type);
            row[index] = switch (type) {
                case INT8, INT16, INT32, INT64, TIMESTAMP -> in.getLong();
                case BOOL -> in.get() != 0;
                case FLOAT -> Float.intBitsToFloat(in.getInt());
                case DOUBLE -> Double.longBitsToDouble(in.getLong());
                case STRING, BINARY -> {
                    byte[] bytes = new byte[length];
                    in.get(bytes);
                    yield type == DataType.STRING ? new String(bytes, StandardCharsets.UTF_8) : ByteString.copyFrom(bytes);
                }
                default -> throw new IllegalStateException("unknown type " + type);
            };
        }
        return row;
    }

    private static int fixedLength(DataType type) {
        return switch (type) {
            case BOOL -> 1;
            case FLOAT -> 4;
            case INT8, INT16, INT32, INT64, TIMESTAMP, DOUBLE -> 8;
            default -> throw new IllegalStateException(type + " has no fixed length");
        };
    }

    private static int getVarint(ByteBuffer in) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            byte b = in.get();
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalStateException("corrupt row value: a varint longer than 5 bytes");
    }
}
