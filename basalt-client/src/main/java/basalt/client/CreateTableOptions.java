package basalt.client;

import basalt.client.partition.KeyEncoding;
import basalt.proto.DataType;
import basalt.proto.PartitionSchemaPB;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * How a new table is partitioned and replicated: hash buckets over some key columns, times range
 * partitions of other key columns cut at split rows. Default: one tablet, 3 replicas.
 */
public final class CreateTableOptions {
    private final List<String> hashColumns = new ArrayList<>();
    private int hashBuckets;
    private final List<String> rangeColumns = new ArrayList<>();
    private final List<PartialRow> splitRows = new ArrayList<>();
    private int numReplicas = 3;

    public CreateTableOptions addHashPartitions(List<String> columns, int buckets) {
        if (!hashColumns.isEmpty()) {
            throw new IllegalArgumentException("hash partitions are already set; one level of hash partitioning");
        }
        if (buckets < 2) {
            throw new IllegalArgumentException("hash partitioning needs at least 2 buckets, got " + buckets);
        }
        hashColumns.addAll(columns);
        hashBuckets = buckets;
        return this;
    }

    public CreateTableOptions setRangePartitionColumns(List<String> columns) {
        rangeColumns.clear();
        rangeColumns.addAll(columns);
        return this;
    }

    /** A split point: a row of the table's schema with (at least) the range columns set. */
    public CreateTableOptions addSplitRow(PartialRow row) {
        splitRows.add(row);
        return this;
    }

    public CreateTableOptions setNumReplicas(int replicas) {
        if (replicas < 1) {
            throw new IllegalArgumentException("a table needs at least 1 replica, got " + replicas);
        }
        numReplicas = replicas;
        return this;
    }

    public int numReplicas() {
        return numReplicas;
    }

    PartitionSchemaPB toPB(Schema schema) {
        PartitionSchemaPB.Builder pb = PartitionSchemaPB.newBuilder().addAllHashColumns(hashColumns)
                .setHashBuckets(hashBuckets).addAllRangeColumns(rangeColumns);
        List<ByteString> splits = new ArrayList<>();
        for (PartialRow split : splitRows) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (String column : rangeColumns) {
                int index = schema.indexOrThrow(column);
                if (!split.isSet(column)) {
                    throw new IllegalArgumentException("split row " + split + " does not set range column '" + column + "'");
                }
                DataType type = schema.column(index).type();
                KeyEncoding.encodeColumn(type, split.cells()[index], out);
            }
            splits.add(ByteString.copyFrom(out.toByteArray()));
        }
        splits.sort(ByteString.unsignedLexicographicalComparator());
        return pb.addAllRangeSplits(splits).build();
    }
}
