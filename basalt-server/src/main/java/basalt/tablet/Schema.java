package basalt.tablet;

import basalt.common.row.CellType;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.SchemaPB;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A table's columns at one schema version. The primary key is the key columns, which come first, in key order, and are never
 * NULL. Immutable; built only through {@link #fromPB} or {@link #parse}, which validate it and refuse a bad
 * schema with an INVALID_ARGUMENT {@link TabletException} naming the offending column.
 *
 * <p>Text spec ({@link #parse}): comma-separated {@code name TYPE [KEY] [NULL | NOT NULL]}, for example
 * {@code "id INT64 KEY, name STRING, v DOUBLE NOT NULL"}. Non-key columns are nullable unless they say
 * {@code NOT NULL}; key columns are never nullable (saying {@code NULL} on one is an error).
 *
 * <p>Column ids: every column has a positive id, unique in the schema; stored rows are keyed by it
 * ({@link RowCodec}). A schema whose ids are all 0 (one a client wrote, before the master assigned ids)
 * gets ids 1..n by position, which is what the master assigns at create; any other mix is refused.
 */
public final class Schema {
    /** Ids index a dense array, so they are bounded; a table may add this many columns in its life. */
    public static final int MAX_COLUMN_ID = 1 << 20;

    private final List<ColumnSchema> columns;
    private final int keyColumnCount;
    private final Map<String, Integer> indexByName;
    /** Column index by column id (-1: none); dense, as ids are small, so decoding a row does no boxing. */
    private final int[] indexById;
    private final int version;
    /** Each column's cell type in a packed row block, and its name: every replica's apply reads both, once per write. */
    private final List<CellType> cellTypes;
    private final List<String> columnNames;

    private Schema(List<ColumnSchema> columns, int keyColumnCount, Map<String, Integer> indexByName, int version) {
        this.columns = columns;
        this.cellTypes = columns.stream().map(column -> CellType.named(column.type().name())).toList();
        this.columnNames = columns.stream().map(ColumnSchema::name).toList();
        this.keyColumnCount = keyColumnCount;
        this.indexByName = indexByName;
        this.indexById = new int[columns.stream().mapToInt(ColumnSchema::id).max().orElse(0) + 1];
        Arrays.fill(indexById, -1);
        for (int i = 0; i < columns.size(); i++) {
            indexById[columns.get(i).id()] = i;
        }
        this.version = version;
    }

    public static Schema fromPB(SchemaPB pb) {
        if (pb.getColumnsCount() == 0) {
            throw TabletException.invalid("schema has no columns");
        }
        if (pb.getVersion() < 0) {
            throw TabletException.invalid("schema version %d is negative", pb.getVersion());
        }
        boolean positionalIds = pb.getColumnsList().stream().allMatch(column -> column.getId() == 0);
        List<ColumnSchema> columns = new ArrayList<>();
        Map<String, Integer> indexByName = new LinkedHashMap<>();
        Map<Integer, Integer> indexById = new LinkedHashMap<>();
        int keyColumnCount = 0;
        String firstNonKey = null;
        for (int i = 0; i < pb.getColumnsCount(); i++) {
            ColumnSchemaPB column = pb.getColumns(i);
            String name = column.getName();
            if (name.isBlank()) {
                throw TabletException.invalid("column %d has an empty name", i);
            }
            if (indexByName.containsKey(name)) {
                throw TabletException.invalid("duplicate column name '%s'", name);
            }
            if (column.getType() == DataType.DATA_TYPE_UNSPECIFIED || column.getType() == DataType.UNRECOGNIZED) {
                throw TabletException.invalid("column '%s' has an unknown type", name);
            }
            if (column.getKey()) {
                if (column.getNullable()) {
                    throw TabletException.invalid("key column '%s' must not be nullable", name);
                }
                if (firstNonKey != null) {
                    throw TabletException.invalid(
                            "key column '%s' comes after non-key column '%s'; key columns must come first",
                            name, firstNonKey);
                }
                keyColumnCount++;
            } else if (firstNonKey == null) {
                firstNonKey = name;
            }
            int id = positionalIds ? i + 1 : column.getId();
            if (id <= 0 || id > MAX_COLUMN_ID) {
                throw TabletException.invalid("column '%s' has id %d; ids are 1..%d (or all 0 to number "
                        + "them by position)", name, id, MAX_COLUMN_ID);
            }
            if (indexById.containsKey(id)) {
                throw TabletException.invalid("columns '%s' and '%s' share the id %d",
                        columns.get(indexById.get(id)).name(), name, id);
            }
            indexByName.put(name, i);
            indexById.put(id, i);
            columns.add(new ColumnSchema(id, name, column.getType(), column.getNullable(), column.getKey()));
        }
        if (keyColumnCount == 0) {
            throw TabletException.invalid("schema has no key column");
        }
        return new Schema(List.copyOf(columns), keyColumnCount, Collections.unmodifiableMap(indexByName),
                pb.getVersion());
    }

    /** Parses the text spec described in the class comment. */
    public static Schema parse(String spec) {
        SchemaPB.Builder pb = SchemaPB.newBuilder();
        for (String part : spec.split(",")) {
            String[] words = part.trim().split("\\s+");
            if (words.length < 2 || words[0].isEmpty()) {
                throw TabletException.invalid("column spec '%s' needs a name and a type", part.trim());
            }
            DataType type;
            try {
                type = DataType.valueOf(words[1].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw TabletException.invalid("column '%s' has an unknown type %s", words[0], words[1]);
            }
            boolean key = false;
            Boolean nullable = null;
            for (int i = 2; i < words.length; i++) {
                String word = words[i].toUpperCase(Locale.ROOT);
                if (word.equals("KEY")) {
                    key = true;
                } else if (word.equals("NULL")) {
                    nullable = true;
                } else if (word.equals("NOT") && i + 1 < words.length
                        && words[i + 1].equalsIgnoreCase("NULL")) {
                    nullable = false;
                    i++;
                } else {
                    throw TabletException.invalid("column '%s': unexpected word '%s'", words[0], words[i]);
                }
            }
            pb.addColumns(ColumnSchemaPB.newBuilder().setName(words[0]).setType(type).setKey(key)
                    .setNullable(nullable != null ? nullable : !key));
        }
        return fromPB(pb.build());
    }

    public SchemaPB toPB() {
        SchemaPB.Builder pb = SchemaPB.newBuilder().setVersion(version);
        columns.forEach(column -> pb.addColumns(column.toPB()));
        return pb.build();
    }

    public List<ColumnSchema> columns() {
        return columns;
    }

    public ColumnSchema column(int index) {
        return columns.get(index);
    }

    /** The cell type of each column in a packed row block ({@link basalt.common.row.PackedRows}), in column order. */
    public List<CellType> cellTypes() {
        return cellTypes;
    }

    /** Each column's name, in column order. */
    public List<String> columnNames() {
        return columnNames;
    }

    public int columnCount() {
        return columns.size();
    }

    public int keyColumnCount() {
        return keyColumnCount;
    }

    /** The column's index, or -1 when there is no such column. */
    public int indexOf(String name) {
        Integer index = indexByName.get(name);
        return index == null ? -1 : index;
    }

    /** The index of the column with this id, or -1 when this schema has none (a dropped or unknown id). */
    public int indexOfId(int id) {
        return id > 0 && id < indexById.length ? indexById[id] : -1;
    }

    /** The largest column id in this schema. */
    public int maxColumnId() {
        return indexById.length - 1;
    }

    public List<DataType> keyTypes() {
        return columns.subList(0, keyColumnCount).stream().map(ColumnSchema::type).toList();
    }

    public int version() {
        return version;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Schema schema && schema.columns.equals(columns) && schema.version == version;
    }

    @Override
    public int hashCode() {
        return columns.hashCode();
    }

    @Override
    public String toString() {
        return String.join(", ", columns.stream().map(ColumnSchema::toString).toList());
    }
}
