package basalt.client;

import basalt.common.key.KeyBuffer;
import basalt.client.partition.KeyEncoding;
import basalt.proto.ColumnValuePB;
import basalt.proto.DataType;
import basalt.proto.RowPB;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

/**
 * A row being built for an operation or a split point: typed setters by column name. A setter whose type
 * does not fit the column (a string for an INT64, 300 for an INT8) fails at once with an
 * {@link IllegalArgumentException} naming the column, so a bad row never leaves the client. Columns never
 * set are unset: an insert makes them NULL, an update leaves them alone. Not thread-safe.
 */
public final class PartialRow {
    private final Schema schema;
    private final Object[] cells;
    private final boolean[] set;

    PartialRow(Schema schema) {
        this.schema = schema;
        this.cells = new Object[schema.columnCount()];
        this.set = new boolean[schema.columnCount()];
    }

    public Schema schema() {
        return schema;
    }

    public PartialRow addByte(String column, byte value) {
        return setInteger(column, value);
    }

    public PartialRow addShort(String column, short value) {
        return setInteger(column, value);
    }

    public PartialRow addInt(String column, int value) {
        return setInteger(column, value);
    }

    /** Sets an integer column of any width (INT8 ... INT64), checking the value fits it. */
    public PartialRow addLong(String column, long value) {
        return setInteger(column, value);
    }

    /** Sets a TIMESTAMP column: microseconds since the Unix epoch, UTC. */
    public PartialRow addTimestampMicros(String column, long micros) {
        return set(column, DataType.TIMESTAMP, micros);
    }

    public PartialRow addBoolean(String column, boolean value) {
        return set(column, DataType.BOOL, value);
    }

    public PartialRow addFloat(String column, float value) {
        return set(column, DataType.FLOAT, value);
    }

    public PartialRow addDouble(String column, double value) {
        return set(column, DataType.DOUBLE, value);
    }

    public PartialRow addString(String column, String value) {
        requireValue(column, value);
        return set(column, DataType.STRING, value);
    }

    public PartialRow addBinary(String column, byte[] value) {
        requireValue(column, value);
        return set(column, DataType.BINARY, ByteString.copyFrom(value));
    }

    /** Sets a nullable column to NULL. */
    public PartialRow setNull(String column) {
        int index = schema.indexOrThrow(column);
        if (!schema.column(index).nullable()) {
            throw new IllegalArgumentException("column '" + column + "' is not nullable");
        }
        cells[index] = null;
        set[index] = true;
        return this;
    }

    public boolean isSet(String column) {
        return set[schema.indexOrThrow(column)];
    }

    private PartialRow setInteger(String column, long value) {
        int index = schema.indexOrThrow(column);
        DataType type = schema.column(index).type();
        if (!Cells.isInteger(type)) {
            throw new IllegalArgumentException("column '" + column + "' is " + type + ", not an integer column");
        }
        if (!Cells.fits(type, value)) {
            throw new IllegalArgumentException("value " + value + " is out of range for column '" + column
                    + "' of type " + type);
        }
        cells[index] = value;
        set[index] = true;
        return this;
    }

    private PartialRow set(String column, DataType type, Object value) {
        int index = schema.indexOrThrow(column);
        DataType actual = schema.column(index).type();
        if (actual != type) {
            throw new IllegalArgumentException("column '" + column + "' is " + actual + ", not " + type);
        }
        cells[index] = value;
        set[index] = true;
        return this;
    }

    private static void requireValue(String column, Object value) {
        if (value == null) {
            throw new IllegalArgumentException("null value for column '" + column + "': use setNull");
        }
    }

    /** Fails naming the first key column that is not set (a row without its key cannot be routed). */
    void checkKeySet(String what) {
        for (int i = 0; i < schema.keyColumnCount(); i++) {
            if (!set[i]) {
                throw new IllegalArgumentException(what + " needs key column '" + schema.column(i).name() + "' set");
            }
        }
    }

    /**
     * The row's primary key in the tablet server's order-preserving encoding (key columns in schema order):
     * two rows have equal encodings exactly when they are the same row. The key must be set.
     */
    ByteString encodedKey() {
        KeyBuffer out = new KeyBuffer(16);
        for (int i = 0; i < schema.keyColumnCount(); i++) {
            KeyEncoding.encodeColumn(schema.column(i).type(), cells[i], out);
        }
        return UnsafeByteOperations.unsafeWrap(out.toByteArray());
    }

    /** Which columns are set, in schema order; shared, not copied. */
    boolean[] setColumns() {
        return set;
    }

    /** The cells in schema order (unset ones null); shared, not copied. */
    Object[] cells() {
        return cells;
    }

    RowPB toPB() {
        RowPB.Builder row = RowPB.newBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (set[i]) {
                row.addValues(ColumnValuePB.newBuilder().setColumn(i).setValue(Cells.toPB(schema.column(i).type(), cells[i])));
            }
        }
        return row.build();
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("(");
        boolean first = true;
        for (int i = 0; i < cells.length; i++) {
            if (set[i]) {
                text.append(first ? "" : ", ").append(schema.column(i).name()).append('=').append(cells[i]);
                first = false;
            }
        }
        return text.append(')').toString();
    }
}
