package basalt.tablet;

import basalt.common.key.KeyBuffer;
import basalt.common.key.KeyBytes;
import basalt.proto.DataType;
import basalt.proto.PartitionPB;
import basalt.proto.PartitionSchemaPB;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How a table's rows are spread over tablets: {@code hashBuckets} hash buckets of the hash columns times
 * range partitions of the range columns, cut at {@code range_splits}. Hash and range columns must be key
 * columns, so a row never changes partition.
 *
 * <p>The bucket is {@code XXH64(seed 0) of the KeyEncoder encoding of the hash columns, in the order the
 * partition schema lists them, as an unsigned number modulo hashBuckets}: the same on every JVM. The
 * range key is the KeyEncoder encoding of the range columns; range partition i covers
 * [split[i-1], split[i]) with an empty bound meaning unbounded. {@link #partitions()} lists them bucket-major:
 * (bucket 0, range 0), (bucket 0, range 1), …
 */
public final class PartitionSchema {
    private static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();

    private final PartitionSchemaPB pb;
    private final int[] hashColumns;
    private final List<DataType> hashTypes;
    private final int[] rangeColumns;
    private final List<DataType> rangeTypes;
    private final int hashBuckets;

    private PartitionSchema(PartitionSchemaPB pb, int[] hashColumns, List<DataType> hashTypes, int[] rangeColumns,
                            List<DataType> rangeTypes, int hashBuckets) {
        this.pb = pb;
        this.hashColumns = hashColumns;
        this.hashTypes = hashTypes;
        this.rangeColumns = rangeColumns;
        this.rangeTypes = rangeTypes;
        this.hashBuckets = hashBuckets;
    }

    public static PartitionSchema fromPB(PartitionSchemaPB pb, Schema schema) {
        int[] hashColumns = keyColumns(pb.getHashColumnsList(), schema, "hash");
        int[] rangeColumns = keyColumns(pb.getRangeColumnsList(), schema, "range");
        int hashBuckets;
        if (hashColumns.length == 0) {
            if (pb.getHashBuckets() > 1) {
                throw TabletException.invalid("%d hash buckets but no hash columns", pb.getHashBuckets());
            }
            hashBuckets = 1;
        } else {
            if (pb.getHashBuckets() < 2) {
                throw TabletException.invalid("hash partitioning needs at least 2 buckets, got %d",
                        pb.getHashBuckets());
            }
            hashBuckets = pb.getHashBuckets();
        }
        if (rangeColumns.length == 0 && pb.getRangeSplitsCount() > 0) {
            throw TabletException.invalid("range splits given but no range columns");
        }
        for (int i = 0; i < pb.getRangeSplitsCount(); i++) {
            ByteString split = pb.getRangeSplits(i);
            if (split.isEmpty()) {
                throw TabletException.invalid("range split %d is empty", i);
            }
            if (i > 0 && BYTES.compare(pb.getRangeSplits(i - 1), split) >= 0) {
                throw TabletException.invalid("range splits are not strictly ascending at split %d", i);
            }
        }
        return new PartitionSchema(pb, hashColumns, types(hashColumns, schema), rangeColumns,
                types(rangeColumns, schema), hashBuckets);
    }

    private static int[] keyColumns(List<String> names, Schema schema, String kind) {
        int[] indexes = new int[names.size()];
        for (int i = 0; i < names.size(); i++) {
            int index = schema.indexOf(names.get(i));
            if (index < 0) {
                throw TabletException.invalid("%s column '%s' is not in the schema", kind, names.get(i));
            }
            if (!schema.column(index).key()) {
                throw TabletException.invalid("%s column '%s' is not a key column", kind, names.get(i));
            }
            for (int j = 0; j < i; j++) {
                if (indexes[j] == index) {
                    throw TabletException.invalid("%s column '%s' is listed twice", kind, names.get(i));
                }
            }
            indexes[i] = index;
        }
        return indexes;
    }

    private static List<DataType> types(int[] columns, Schema schema) {
        List<DataType> types = new ArrayList<>();
        for (int column : columns) {
            types.add(schema.column(column).type());
        }
        return List.copyOf(types);
    }

    public PartitionSchemaPB toPB() {
        return pb;
    }

    public int hashBuckets() {
        return hashBuckets;
    }

    /** The hash bucket of a row (cells in schema order; only the hash columns are read). */
    public int bucketFor(Object[] row) {
        if (hashColumns.length == 0) {
            return 0;
        }
        KeyBuffer out = new KeyBuffer(16);
        for (int i = 0; i < hashColumns.length; i++) {
            KeyEncoder.encodeColumn(hashTypes.get(i), row[hashColumns[i]], out);
        }
        return KeyBytes.hashBucket(out.toByteArray(), hashBuckets);
    }

    /** The range key of a row (cells in schema order; only the range columns are read). */
    public ByteString rangeKeyFor(Object[] row) {
        KeyBuffer out = new KeyBuffer(16);
        for (int i = 0; i < rangeColumns.length; i++) {
            KeyEncoder.encodeColumn(rangeTypes.get(i), row[rangeColumns[i]], out);
        }
        return ByteString.copyFrom(out.toByteArray());
    }

    /** Encodes a range split from values of the range columns, in the order the partition schema lists them. */
    public ByteString encodeRangeKey(Object... rangeValues) {
        return ByteString.copyFrom(KeyEncoder.encode(rangeTypes, rangeValues));
    }

    /** The partition a row belongs to. */
    public PartitionPB partitionFor(Object[] row) {
        int bucket = bucketFor(row);
        ByteString rangeKey = rangeKeyFor(row);
        int range = 0;
        while (range < pb.getRangeSplitsCount() && BYTES.compare(rangeKey, pb.getRangeSplits(range)) >= 0) {
            range++;
        }
        return partition(bucket, range);
    }

    /** Every partition of the table: hash buckets times range partitions, bucket-major. */
    public List<PartitionPB> partitions() {
        List<PartitionPB> partitions = new ArrayList<>();
        for (int bucket = 0; bucket < hashBuckets; bucket++) {
            for (int range = 0; range <= pb.getRangeSplitsCount(); range++) {
                partitions.add(partition(bucket, range));
            }
        }
        return partitions;
    }

    private PartitionPB partition(int bucket, int range) {
        PartitionPB.Builder partition = PartitionPB.newBuilder().setHashBucket(bucket);
        if (range > 0) {
            partition.setRangeLower(pb.getRangeSplits(range - 1));
        }
        if (range < pb.getRangeSplitsCount()) {
            partition.setRangeUpper(pb.getRangeSplits(range));
        }
        return partition.build();
    }

    /** Why a row is not in {@code partition}, or null when it is. */
    public String whyNotIn(PartitionPB partition, Object[] row) {
        int bucket = bucketFor(row);
        if (bucket != partition.getHashBucket()) {
            return "hash bucket " + bucket + ", not this tablet's bucket " + partition.getHashBucket();
        }
        ByteString rangeKey = rangeKeyFor(row);
        boolean aboveLower = partition.getRangeLower().isEmpty() || BYTES.compare(rangeKey, partition.getRangeLower()) >= 0;
        boolean belowUpper = partition.getRangeUpper().isEmpty() || BYTES.compare(rangeKey, partition.getRangeUpper()) < 0;
        return aboveLower && belowUpper ? null : "range key outside this tablet's range";
    }
}
