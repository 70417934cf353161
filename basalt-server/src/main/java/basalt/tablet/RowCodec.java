package basalt.tablet;

import basalt.common.check.Check;
import basalt.proto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The stored value of a row version: one kind byte (0 = tombstone, 1 = row), then for a row each column
 * in schema order as a presence byte (0 = NULL) followed by the value: 8 bytes for the integer types and
 * TIMESTAMP, 1 for BOOL, 4/8 for FLOAT/DOUBLE bits, a 4-byte length and the bytes for STRING (UTF-8) and
 * BINARY; all big-endian. Canonical (one encoding per row), so checksums over it agree across replicas.
 */
final class RowCodec {
    static final byte TOMBSTONE = 0;
    static final byte ROW = 1;

    private RowCodec() {}

    static byte[] tombstone() {
        return new byte[] {TOMBSTONE};
    }

    static byte[] encode(Schema schema, Object[] row) {
        int size = 1;
        byte[][] variable = new byte[row.length][];
        for (int i = 0; i < row.length; i++) {
            size += 1;
            if (row[i] != null) {
                DataType type = schema.column(i).type();
                if (type == DataType.STRING) {
                    variable[i] = ((String) row[i]).getBytes(StandardCharsets.UTF_8);
                } else if (type == DataType.BINARY) {
                    variable[i] = ((ByteString) row[i]).toByteArray();
                }
                size += variable[i] != null ? 4 + variable[i].length : Values.sizeBytes(type, row[i]) == 1 ? 1
                        : type == DataType.FLOAT ? 4 : 8;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put(ROW);
        for (int i = 0; i < row.length; i++) {
            if (row[i] == null) {
                out.put((byte) 0);
                continue;
            }
            out.put((byte) 1);
            switch (schema.column(i).type()) {
                case INT8, INT16, INT32, INT64, TIMESTAMP -> out.putLong((Long) row[i]);
                case BOOL -> out.put((byte) ((Boolean) row[i] ? 1 : 0));
                case FLOAT -> out.putInt(Float.floatToIntBits((Float) row[i]));
                case DOUBLE -> out.putLong(Double.doubleToLongBits((Double) row[i]));
                case STRING, BINARY -> out.putInt(variable[i].length).put(variable[i]);
                default -> throw new IllegalStateException("unknown type " + schema.column(i).type());
            }
        }
        Check.state(!out.hasRemaining(), "row encoding size miscounted");
        return out.array();
    }

    static boolean isTombstone(byte[] value) {
        Check.state(value.length >= 1 && (value[0] == TOMBSTONE || value[0] == ROW), "corrupt row value");
        return value[0] == TOMBSTONE;
    }

    static Object[] decode(Schema schema, byte[] value) {
        Check.state(!isTombstone(value), "decoding a tombstone");
        ByteBuffer in = ByteBuffer.wrap(value, 1, value.length - 1);
        Object[] row = new Object[schema.columnCount()];
        for (int i = 0; i < row.length; i++) {
            if (in.get() == 0) {
                continue;
            }
            row[i] = switch (schema.column(i).type()) {
                case INT8, INT16, INT32, INT64, TIMESTAMP -> in.getLong();
                case BOOL -> in.get() != 0;
                case FLOAT -> Float.intBitsToFloat(in.getInt());
                case DOUBLE -> Double.longBitsToDouble(in.getLong());
                case STRING, BINARY -> {
                    byte[] bytes = new byte[in.getInt()];
                    in.get(bytes);
                    yield schema.column(i).type() == DataType.STRING
                            ? new String(bytes, StandardCharsets.UTF_8) : ByteString.copyFrom(bytes);
                }
                default -> throw new IllegalStateException("unknown type " + schema.column(i).type());
            };
        }
        Check.state(!in.hasRemaining(), "%s trailing bytes in a row value", in.remaining());
        return row;
    }
}
