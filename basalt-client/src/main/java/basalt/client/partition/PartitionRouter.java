package basalt.client.partition;

import basalt.common.key.KeyBuffer;
import basalt.common.key.KeyBytes;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.SchemaPB;
import com.google.protobuf.ByteString;
import java.util.List;

/**
 * Which partition a row belongs to, computed on the client exactly as the tablet server's
 * {@code PartitionSchema} does: the hash bucket is {@link KeyBytes#hashBucket} of the encoded hash columns
 * (in the partition schema's order), the range key is the encoding of the range columns. The tablet for a
 * (bucket, range key) is then found in the table's locations.
 */
public final class PartitionRouter {
    /** Where a row goes: its hash bucket and its range key. */
    public record Route(int bucket, ByteString rangeKey) {}

    private final int[] hashColumns;
    private final DataType[] hashTypes;
    private final int[] rangeColumns;
    private final DataType[] rangeTypes;
    private final int hashBuckets;

    public PartitionRouter(SchemaPB schema, PartitionSchemaPB partitionSchema) {
        this.hashColumns = indexes(schema, partitionSchema.getHashColumnsList());
        this.hashTypes = types(schema, hashColumns);
        this.rangeColumns = indexes(schema, partitionSchema.getRangeColumnsList());
        this.rangeTypes = types(schema, rangeColumns);
        this.hashBuckets = hashColumns.length == 0 ? 1 : partitionSchema.getHashBuckets();
    }

    /** The route of a row whose cells are in schema order (only hash and range columns are read). */
    public Route route(Object[] cells) {
        return new Route(bucketFor(cells), rangeKeyFor(cells));
    }

    public int bucketFor(Object[] cells) {
        if (hashColumns.length == 0) {
            return 0;
        }
        KeyBuffer out = new KeyBuffer(16);
        for (int i = 0; i < hashColumns.length; i++) {
            KeyEncoding.encodeColumn(hashTypes[i], cells[hashColumns[i]], out);
        }
        return KeyBytes.hashBucket(out.toByteArray(), hashBuckets);
    }

    public ByteString rangeKeyFor(Object[] cells) {
        if (rangeColumns.length == 0) {
            return ByteString.EMPTY; // hash partitioning only: every row has the same (empty) range key
        }
        KeyBuffer out = new KeyBuffer(16);
        for (int i = 0; i < rangeColumns.length; i++) {
            KeyEncoding.encodeColumn(rangeTypes[i], cells[rangeColumns[i]], out);
        }
        return ByteString.copyFrom(out.toByteArray());
    }

    private static int[] indexes(SchemaPB schema, List<String> names) {
        int[] indexes = new int[names.size()];
        for (int i = 0; i < names.size(); i++) {
            indexes[i] = indexOf(schema, names.get(i));
        }
        return indexes;
    }

    private static int indexOf(SchemaPB schema, String name) {
        for (int i = 0; i < schema.getColumnsCount(); i++) {
            ColumnSchemaPB column = schema.getColumns(i);
            if (column.getName().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("partition column '" + name + "' is not in the schema");
    }

    private static DataType[] types(SchemaPB schema, int[] columns) {
        DataType[] types = new DataType[columns.length];
        for (int i = 0; i < columns.length; i++) {
            types[i] = schema.getColumns(columns[i]).getType();
        }
        return types;
    }
}
