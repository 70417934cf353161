package basalt.client;

import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;

/** One column: name, type, whether it may hold NULL, and whether it is part of the primary key. */
public record ColumnSchema(String name, DataType type, boolean nullable, boolean key) {
    public ColumnSchema {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a column needs a name");
        }
        if (type == null || type == DataType.DATA_TYPE_UNSPECIFIED || type == DataType.UNRECOGNIZED) {
            throw new IllegalArgumentException("column '" + name + "' needs a type");
        }
        if (key && nullable) {
            throw new IllegalArgumentException("key column '" + name + "' must not be nullable");
        }
    }

    /** A key column (never NULL). */
    public static ColumnSchema key(String name, DataType type) {
        return new ColumnSchema(name, type, false, true);
    }

    /** A non-key column that may hold NULL. */
    public static ColumnSchema nullable(String name, DataType type) {
        return new ColumnSchema(name, type, true, false);
    }

    /** A non-key column that may not hold NULL. */
    public static ColumnSchema notNull(String name, DataType type) {
        return new ColumnSchema(name, type, false, false);
    }

    ColumnSchemaPB toPB() {
        return ColumnSchemaPB.newBuilder().setName(name).setType(type).setNullable(nullable).setKey(key).build();
    }

    static ColumnSchema fromPB(ColumnSchemaPB pb) {
        return new ColumnSchema(pb.getName(), pb.getType(), pb.getNullable(), pb.getKey());
    }
}
