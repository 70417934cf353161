package basalt.client;

import basalt.proto.ColumnValuePB;
import basalt.proto.DataType;
import basalt.proto.RowPB;
import com.google.protobuf.ByteString;

/** One row a scanner returned, with the projected columns only; typed getters by column name. */
public final class RowResult {
    private final Schema projection;
    private final Object[] cells;

    RowResult(Schema projection, RowPB row) {
        this.projection = projection;
        this.cells = new Object[projection.columnCount()];
        for (ColumnValuePB value : row.getValuesList()) {
            cells[value.getColumn()] = Cells.fromPB(value.getValue());
        }
    }

    public Schema schema() {
        return projection;
    }

    public boolean isNull(String column) {
        return cells[projection.indexOrThrow(column)] == null;
    }

    /** An integer or TIMESTAMP column of any width. */
    public long getLong(String column) {
        int index = projection.indexOrThrow(column);
        DataType type = projection.column(index).type();
        if (!Cells.isInteger(type) && type != DataType.TIMESTAMP) {
            throw new IllegalArgumentException("column '" + column + "' is " + type + ", not an integer");
        }
        return (Long) nonNull(column, index);
    }

    public int getInt(String column) {
        return Math.toIntExact(getLong(column));
    }

    public boolean getBoolean(String column) {
        return (Boolean) typed(column, DataType.BOOL);
    }

    public float getFloat(String column) {
        return (Float) typed(column, DataType.FLOAT);
    }

    public double getDouble(String column) {
        return (Double) typed(column, DataType.DOUBLE);
    }

    public String getString(String column) {
        return (String) typed(column, DataType.STRING);
    }

    public byte[] getBinary(String column) {
        return ((ByteString) typed(column, DataType.BINARY)).toByteArray();
    }

    private Object typed(String column, DataType expected) {
        int index = projection.indexOrThrow(column);
        DataType type = projection.column(index).type();
        if (type != expected) {
            throw new IllegalArgumentException("column '" + column + "' is " + type + ", not " + expected);
        }
        return nonNull(column, index);
    }

    private Object nonNull(String column, int index) {
        Object cell = cells[index];
        if (cell == null) {
            throw new IllegalStateException("column '" + column + "' is NULL in this row");
        }
        return cell;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("(");
        for (int i = 0; i < cells.length; i++) {
            text.append(i == 0 ? "" : ", ").append(projection.column(i).name()).append('=').append(cells[i]);
        }
        return text.append(')').toString();
    }
}
