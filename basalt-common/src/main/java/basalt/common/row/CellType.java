package basalt.common.row;

/**
 * The column types as a packed row block lays them out. The names match the wire protocol's
 * {@code DataType}, so each side maps its own type to this one by name. Integers of every width and
 * TIMESTAMP (microseconds) are {@code Long} in memory; {@link #fixedWidth} is what a cell takes in a block
 * (-1: a length-prefixed cell).
 */
public enum CellType {
    INT8(1), INT16(2), INT32(4), INT64(8), TIMESTAMP(8), BOOL(1), FLOAT(4), DOUBLE(8), STRING(-1), BINARY(-1);

    private final int fixedWidth;

    CellType(int fixedWidth) {
        this.fixedWidth = fixedWidth;
    }

    public int fixedWidth() {
        return fixedWidth;
    }

    public boolean isInteger() {
        return this == INT8 || this == INT16 || this == INT32 || this == INT64 || this == TIMESTAMP;
    }

    /** The type of this name ({@code DataType.name()} on either side), or an IllegalArgumentException naming it. */
    public static CellType named(String name) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("no packed cell type for column type " + name, e);
        }
    }
}
