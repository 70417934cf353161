package basalt.ycsb;

import basalt.client.BasaltClient;
import basalt.client.BasaltException;
import basalt.client.BasaltTable;
import basalt.client.ColumnSchema;
import basalt.client.CreateTableOptions;
import basalt.client.Schema;
import basalt.proto.Code;
import basalt.proto.DataType;
import java.util.ArrayList;
import java.util.List;

/** The YCSB table: a STRING key and BINARY fields, opened if it exists, made otherwise. */
final class YcsbTables {
    static final String KEY = "key";
    /** YCSB's key prefix: range partitioning splits on the digit after it. */
    static final String KEY_PREFIX = "user";

    private YcsbTables() {}

    /** Every YCSB thread calls this; one JVM makes the table once, and a table made meanwhile elsewhere is opened. */
    static synchronized BasaltTable openOrCreate(BasaltClient client, YcsbOptions options) {
        BasaltTable table;
        try {
            table = client.openTable(options.table());
        } catch (BasaltException e) {
            if (e.code() != Code.NOT_FOUND) {
                throw e;
            }
            try {
                table = client.createTable(options.table(), schema(options), partitioning(options));
            } catch (BasaltException raced) {
                if (raced.code() != Code.ALREADY_PRESENT) {
                    throw raced;
                }
                table = client.openTable(options.table());
            }
        }
        checkFields(table, options);
        return table;
    }

    static Schema schema(YcsbOptions options) {
        List<ColumnSchema> columns = new ArrayList<>();
        columns.add(ColumnSchema.key(KEY, DataType.STRING));
        for (int i = 0; i < options.fieldCount(); i++) {
            columns.add(ColumnSchema.nullable(options.fieldPrefix() + i, DataType.BINARY));
        }
        return new Schema(columns);
    }

    static CreateTableOptions partitioning(YcsbOptions options) {
        CreateTableOptions create = new CreateTableOptions().setNumReplicas(options.replicas());
        if (options.tablets() == 1) {
            return create;
        }
        if (!options.rangePartitioned()) {
            return create.addHashPartitions(List.of(KEY), options.tablets());
        }
        // Hashed YCSB keys are "user" + a non-negative long in decimal: leading digits 1-9, about evenly.
        create.setRangePartitionColumns(List.of(KEY));
        Schema schema = schema(options);
        for (int i = 1; i < options.tablets(); i++) {
            create.addSplitRow(schema.newPartialRow().addString(KEY, KEY_PREFIX + (1 + 9 * i / options.tablets())));
        }
        return create;
    }

    /** A table made by another tool or with another fieldcount is refused, naming what is missing. */
    private static void checkFields(BasaltTable table, YcsbOptions options) {
        Schema schema = table.schema();
        int key = schema.indexOf(KEY);
        if (key < 0 || !schema.column(key).key() || schema.column(key).type() != DataType.STRING) {
            throw new IllegalArgumentException(table + " has no STRING key column '" + KEY + "'; not a YCSB table");
        }
        for (int i = 0; i < options.fieldCount(); i++) {
            int field = schema.indexOf(options.fieldPrefix() + i);
            if (field < 0 || schema.column(field).type() != DataType.BINARY) {
                throw new IllegalArgumentException(table + " has no BINARY column '" + options.fieldPrefix() + i
                        + "' (fieldcount=" + options.fieldCount() + "); drop it or use another table");
            }
        }
    }
}
