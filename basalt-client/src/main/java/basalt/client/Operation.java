package basalt.client;

import basalt.proto.OperationType;

/**
 * One row change on a table: INSERT, UPSERT, UPDATE, DELETE or INSERT_IGNORE, made by
 * {@link BasaltTable}'s {@code new...} methods. Fill its {@link #row()}, then apply it through a
 * {@link Session}.
 */
public final class Operation {
    private final BasaltTable table;
    private final OperationType type;
    private final PartialRow row;

    Operation(BasaltTable table, OperationType type) {
        this.table = table;
        this.type = type;
        this.row = new PartialRow(table.schema());
    }

    public BasaltTable table() {
        return table;
    }

    public OperationType type() {
        return type;
    }

    public PartialRow row() {
        return row;
    }

    @Override
    public String toString() {
        return type + " " + row + " into " + table.name();
    }
}
