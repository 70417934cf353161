package basalt.tablet;

import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;

/**
 * One column: its stable id (what stored rows are keyed by, so a rename is metadata only and a dropped
 * column never comes back), name, type, whether it may hold NULL, and whether it is part of the primary key.
 */
public record ColumnSchema(int id, String name, DataType type, boolean nullable, boolean key) {
    public ColumnSchemaPB toPB() {
        return ColumnSchemaPB.newBuilder().setId(id).setName(name).setType(type).setNullable(nullable).setKey(key)
                .build();
    }

    @Override
    public String toString() {
        return name + " " + type + (key ? " KEY" : nullable ? " NULL" : " NOT NULL");
    }
}
