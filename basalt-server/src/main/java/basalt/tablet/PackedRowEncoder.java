package basalt.tablet;

import basalt.common.bytes.Varints;
import basalt.common.row.CellType;
import basalt.common.row.PackedRows;
import java.util.Arrays;

/**
 * The stored key ({@link KeyEncoder#encodeKey}) and the stored value of a new row ({@link RowCodec#encode})
 * of a packed row, built straight from the block's bytes: the same bytes as encoding the decoded row, but
 * without a String, a boxed number or a byte array per cell. Apply writes every row of a bulk insert this
 * way, on every replica; decoding each cell into an object only to encode it again was most of apply's work.
 *
 * <p>The row must be one the leader validated (key columns set and not NULL, BOOL bytes 0 or 1, STRING
 * cells valid UTF-8, whose bytes are then exactly what {@code String.getBytes(UTF_8)} gives back).
 */
final class PackedRowEncoder {
    private final Schema schema;
    private final CellType[] types;
    /** Each column's id as the varint a stored value starts its cell with. */
    private final byte[][] idVarints;

    PackedRowEncoder(Schema schema) {
        this.schema = schema;
        this.types = schema.cellTypes().toArray(CellType[]::new);
        this.idVarints = new byte[schema.columnCount()][];
        for (int i = 0; i < idVarints.length; i++) {
            byte[] varint = new byte[5];
            idVarints[i] = Arrays.copyOf(varint, Varints.put(varint, 0, schema.column(i).id()));
        }
    }

    /** The encoded primary key of a row of the block. */
    byte[] key(PackedRows.Index index, int row) {
        int size = 0;
        for (int column = 0; column < schema.keyColumnCount(); column++) {
            int width = types[column].fixedWidth();
            size += width >= 0 ? width : escapedLength(index, row, column);
        }
        byte[] key = new byte[size];
        int at = 0;
        byte[] block = index.block();
        for (int column = 0; column < schema.keyColumnCount(); column++) {
            switch (types[column]) {
                case INT8 -> at = putBigEndian(key, at, index.integer(row, column) ^ (1L << 7), 1);
                case INT16 -> at = putBigEndian(key, at, index.integer(row, column) ^ (1L << 15), 2);
                case INT32 -> at = putBigEndian(key, at, index.integer(row, column) ^ (1L << 31), 4);
                case INT64, TIMESTAMP -> at = putBigEndian(key, at, index.integer(row, column) ^ Long.MIN_VALUE, 8);
                case BOOL -> key[at++] = block[index.cellStart(row, column)];
                case FLOAT -> {
                    int bits = canonicalFloatBits(index.floatBits(row, column));
                    at = putBigEndian(key, at, bits < 0 ? ~bits : bits ^ Integer.MIN_VALUE, 4);
                }
                case DOUBLE -> {
                    long bits = canonicalDoubleBits(index.doubleBits(row, column));
                    at = putBigEndian(key, at, bits < 0 ? ~bits : bits ^ Long.MIN_VALUE, 8);
                }
                case STRING, BINARY -> {
                    int start = index.cellStart(row, column);
                    int end = start + index.cellLength(row, column);
                    for (int i = start; i < end; i++) {
                        key[at++] = block[i];
                        if (block[i] == 0) {
                            key[at++] = 1;
                        }
                    }
                    key[at++] = 0;
                    key[at++] = 0;
                }
            }
        }
        return key;
    }

    /**
     * The stored value of a row of the block as a new version, as an insert writes it: every column it sets
     * to a value, and NULL (no cell) for the rest.
     */
    byte[] newRowValue(PackedRows.Index index, int row) {
        int size = 1;
        for (int column = 0; column < types.length; column++) {
            if (!index.isSet(row, column) || index.isNull(row, column)) {
                continue;
            }
            int length = storedLength(index, row, column);
            size += idVarints[column].length + Varints.size(length) + length;
        }
        byte[] value = new byte[size];
        value[0] = RowCodec.ROW;
        int at = 1;
        byte[] block = index.block();
        for (int column = 0; column < types.length; column++) {
            if (!index.isSet(row, column) || index.isNull(row, column)) {
                continue;
            }
            byte[] id = idVarints[column];
            System.arraycopy(id, 0, value, at, id.length);
            at += id.length;
            int length = storedLength(index, row, column);
            at = Varints.put(value, at, length);
            switch (types[column]) {
                case INT8, INT16, INT32, INT64, TIMESTAMP -> at = putBigEndian(value, at, index.integer(row, column), 8);
                case BOOL -> value[at++] = block[index.cellStart(row, column)];
                case FLOAT -> at = putBigEndian(value, at, canonicalFloatBits(index.floatBits(row, column)), 4);
                case DOUBLE -> at = putBigEndian(value, at, canonicalDoubleBits(index.doubleBits(row, column)), 8);
                case STRING, BINARY -> {
                    System.arraycopy(block, index.cellStart(row, column), value, at, length);
                    at += length;
                }
            }
        }
        if (at != size) {
            throw new IllegalStateException("stored row size miscounted: " + at + " of " + size + " bytes");
        }
        return value;
    }

    /** The length RowCodec gives a cell: 8 bytes for every integer width, the type's width otherwise. */
    private int storedLength(PackedRows.Index index, int row, int column) {
        return switch (types[column]) {
            case INT8, INT16, INT32, INT64, TIMESTAMP, DOUBLE -> 8;
            case FLOAT -> 4;
            case BOOL -> 1;
            case STRING, BINARY -> index.cellLength(row, column);
        };
    }

    private static int escapedLength(PackedRows.Index index, int row, int column) {
        byte[] block = index.block();
        int start = index.cellStart(row, column);
        int end = start + index.cellLength(row, column);
        int length = end - start + 2;
        for (int i = start; i < end; i++) {
            if (block[i] == 0) {
                length++;
            }
        }
        return length;
    }

    /** {@code Float.floatToIntBits}: every NaN as the one canonical NaN, as the object path stores it. */
    private static int canonicalFloatBits(int bits) {
        return Float.floatToIntBits(Float.intBitsToFloat(bits));
    }

    private static long canonicalDoubleBits(long bits) {
        return Double.doubleToLongBits(Double.longBitsToDouble(bits));
    }

    private static int putBigEndian(byte[] out, int at, long value, int widthBytes) {
        for (int shift = (widthBytes - 1) * 8; shift >= 0; shift -= 8) {
            out[at++] = (byte) (value >>> shift);
        }
        return at;
    }
}
