package basalt.tablet;

import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;

/** One column: its name, type, whether it may hold NULL, and whether it is part of the primary key. */
public record ColumnSchema(String name, DataType type, boolean nullable, boolean key) {
    public ColumnSchemaPB toPB() {
        return ColumnSchemaPB.newBuilder().setName(name).setType(type).setNullable(nullable).setKey(key).build();
    }

    @Override
    public String toString() {
        return name + " " + type + (key ? " KEY" : nullable ? " NULL" : " NOT NULL");
    }
}
