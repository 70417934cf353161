package basalt.tablet;

import static basalt.proto.OperationType.INSERT;
import static basalt.tablet.TabletHarness.op;
import static basalt.tablet.TabletHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.key.XxHash64;
import basalt.common.time.HybridClock;
import basalt.proto.PartitionPB;
import basalt.proto.PartitionSchemaPB;
import basalt.tablet.TabletHarness.ManualClock;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Goal: rows route to exactly one partition of bucket x range, and a tablet refuses rows of others. */
class PartitionSchemaTest {
    static final Schema SCHEMA = Schema.parse("host STRING KEY, ts INT64 KEY, v DOUBLE");

    static PartitionSchema partitionSchema() {
        PartitionSchema unsplit = PartitionSchema.fromPB(PartitionSchemaPB.newBuilder().addRangeColumns("ts").build(), SCHEMA);
        return PartitionSchema.fromPB(PartitionSchemaPB.newBuilder().addHashColumns("host").setHashBuckets(3)
                .addRangeColumns("ts").addRangeSplits(unsplit.encodeRangeKey(100L))
                .addRangeSplits(unsplit.encodeRangeKey(200L)).build(), SCHEMA);
    }

    @Test
    void listsBucketsTimesRangesBucketMajor() {
        List<PartitionPB> partitions = partitionSchema().partitions();
        assertThat(partitions).hasSize(9);
        assertThat(partitions.get(0).getHashBucket()).isZero();
        assertThat(partitions.get(0).getRangeLower().isEmpty()).isTrue();
        assertThat(partitions.get(1).getRangeLower()).isEqualTo(partitions.get(0).getRangeUpper());
        assertThat(partitions.get(2).getRangeUpper().isEmpty()).isTrue();
        assertThat(partitions.get(3).getHashBucket()).isEqualTo(1);
    }

    @Test
    void everyRowBelongsToExactlyOneListedPartition() {
        PartitionSchema schema = partitionSchema();
        int[] bucketCounts = new int[3];
        for (long ts = -50; ts < 350; ts += 7) {
            for (String host : java.util.stream.IntStream.range(0, 30).mapToObj(i -> "host-" + i).toList()) {
                Object[] row = {host, ts, null};
                PartitionPB partition = schema.partitionFor(row);
                assertThat(schema.partitions()).contains(partition);
                assertThat(schema.partitions().stream().filter(p -> schema.whyNotIn(p, row) == null)).containsExactly(partition);
                bucketCounts[partition.getHashBucket()]++;
                int expectedRange = ts < 100 ? 0 : ts < 200 ? 1 : 2;
                assertThat(schema.partitions().indexOf(partition) % 3).isEqualTo(expectedRange);
            }
        }
        assertThat(bucketCounts).doesNotContain(0);
    }

    /** The bucket is a fixed function of the bytes (XXH64), so it must never change between versions or JVMs. */
    @Test
    void bucketsAreStable() {
        PartitionSchema schema = partitionSchema();
        assertThat(List.of("a", "b", "c", "d", "e").stream().map(h -> schema.bucketFor(new Object[] {h, 0L, null})))
                .containsExactly(bucketOf("a"), bucketOf("b"), bucketOf("c"), bucketOf("d"), bucketOf("e"));
    }

    private static int bucketOf(String host) {
        byte[] encoded = KeyEncoder.encode(List.of(basalt.proto.DataType.STRING), new Object[] {host});
        return (int) Long.remainderUnsigned(XxHash64.hash(encoded, 0), 3);
    }

    @Test
    void refusesBadPartitionSchemas() {
        assertThatThrownBy(() -> PartitionSchema.fromPB(PartitionSchemaPB.newBuilder().addHashColumns("v")
                .setHashBuckets(2).build(), SCHEMA)).hasMessage("hash column 'v' is not a key column");
        assertThatThrownBy(() -> PartitionSchema.fromPB(PartitionSchemaPB.newBuilder().addHashColumns("host")
                .setHashBuckets(1).build(), SCHEMA)).hasMessage("hash partitioning needs at least 2 buckets, got 1");
        assertThatThrownBy(() -> PartitionSchema.fromPB(PartitionSchemaPB.newBuilder().addRangeColumns("nope").build(),
                SCHEMA)).hasMessage("range column 'nope' is not in the schema");
        PartitionSchema unsplit = PartitionSchema.fromPB(PartitionSchemaPB.newBuilder().addRangeColumns("ts").build(), SCHEMA);
        assertThatThrownBy(() -> PartitionSchema.fromPB(PartitionSchemaPB.newBuilder().addRangeColumns("ts")
                .addRangeSplits(unsplit.encodeRangeKey(5L)).addRangeSplits(unsplit.encodeRangeKey(5L)).build(), SCHEMA))
                .hasMessage("range splits are not strictly ascending at split 1");
    }

    @Test
    void tabletRefusesRowsOfOtherPartitions(@TempDir Path dir) throws Exception {
        PartitionSchema schema = partitionSchema();
        PartitionPB partition = schema.partitionFor(new Object[] {"a", 150L, null});
        try (TabletStore store = TabletStore.open(dir)) {
            Tablet tablet = store.createTablet(TabletHarness.metadata("p", SCHEMA, schema.toPB(), partition),
                    new HybridClock(new ManualClock()), TabletOptions.DEFAULT);
            PreparedWrite prepared = tablet.prepareWrite(request("p", op(INSERT, "a", 150L), op(INSERT, "a", 250L)));
            assertThat(prepared.rowErrors()).extracting(e -> e.getError().getMessage())
                    .containsExactly("row 1: not in this tablet's partition (range key outside this tablet's range)");
            String otherHost = List.of("b", "c", "d", "e", "f").stream()
                    .filter(h -> schema.bucketFor(new Object[] {h, 0L, null}) != partition.getHashBucket()).findFirst().orElseThrow();
            int otherBucket = schema.bucketFor(new Object[] {otherHost, 0L, null});
            assertThat(tablet.prepareWrite(request("p", op(INSERT, otherHost, 150L))).rowErrors())
                    .extracting(e -> e.getError().getMessage())
                    .containsExactly("row 0: not in this tablet's partition (hash bucket " + otherBucket
                            + ", not this tablet's bucket " + partition.getHashBucket() + ")");
        }
    }
}
