package basalt.client;

import basalt.proto.SchemaPB;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A table's columns; the key columns come first, in key order. Immutable. */
public final class Schema {
    private final List<ColumnSchema> columns;
    private final Map<String, Integer> indexByName = new LinkedHashMap<>();
    private final int keyColumnCount;
    private final int version;

    public Schema(List<ColumnSchema> columns) {
        this(columns, 0, true);
    }

    /** The columns a scan returns: any subset, in any order, key columns or not. */
    static Schema projection(List<ColumnSchema> columns) {
        return new Schema(columns, 0, false);
    }

    private Schema(List<ColumnSchema> columns, int version, boolean table) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a schema needs at least one column");
        }
        this.columns = List.copyOf(columns);
        this.version = version;
        int keys = 0;
        for (int i = 0; i < columns.size(); i++) {
            ColumnSchema column = columns.get(i);
            if (indexByName.put(column.name(), i) != null) {
                throw new IllegalArgumentException("duplicate column name '" + column.name() + "'");
            }
            if (column.key() && table) {
                if (keys != i) {
                    throw new IllegalArgumentException("key column '" + column.name()
                            + "' comes after a non-key column; key columns must come first");
                }
                keys++;
            }
        }
        if (keys == 0 && table) {
            throw new IllegalArgumentException("a schema needs at least one key column");
        }
        this.keyColumnCount = keys;
    }

    public List<ColumnSchema> columns() {
        return columns;
    }

    public ColumnSchema column(int index) {
        return columns.get(index);
    }

    public int columnCount() {
        return columns.size();
    }

    /**
     * The table's schema version this schema was read at (0 before any alter; projections have 0). Writes
     * name it, so a tablet running another version refuses them rather than misread the column indexes.
     */
    public int version() {
        return version;
    }

    public int keyColumnCount() {
        return keyColumnCount;
    }

    /** The column's index, or -1 when there is no such column. */
    public int indexOf(String name) {
        Integer index = indexByName.get(name);
        return index == null ? -1 : index;
    }

    /** The column's index; fails naming the column when there is none. */
    public int indexOrThrow(String name) {
        int index = indexOf(name);
        if (index < 0) {
            throw new IllegalArgumentException("no column '" + name + "' in the schema (" + indexByName.keySet() + ")");
        }
        return index;
    }

    /** An empty row of this schema, for split points or key bounds. */
    public PartialRow newPartialRow() {
        return new PartialRow(this);
    }

    public SchemaPB toPB() {
        SchemaPB.Builder pb = SchemaPB.newBuilder().setVersion(version);
        columns.forEach(column -> pb.addColumns(column.toPB()));
        return pb.build();
    }

    public static Schema fromPB(SchemaPB pb) {
        return new Schema(pb.getColumnsList().stream().map(ColumnSchema::fromPB).toList(), pb.getVersion(), true);
    }

    @Override
    public String toString() {
        return columns.toString();
    }
}
