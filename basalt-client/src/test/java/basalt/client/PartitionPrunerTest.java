package basalt.client;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.client.partition.PartitionRouter;
import basalt.proto.DataType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.PredicatePB;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A scan whose EQUAL predicates fix every partition column reads one tablet; any other reads them all. */
class PartitionPrunerTest {
    static final Schema SCHEMA = new Schema(List.of(ColumnSchema.key("region", DataType.STRING),
            ColumnSchema.key("id", DataType.INT64), ColumnSchema.nullable("v", DataType.STRING)));
    static final PartitionSchemaPB HASH_ID_RANGE_REGION = PartitionSchemaPB.newBuilder().addHashColumns("id")
            .setHashBuckets(4).addRangeColumns("region").build();
    static final PartitionRouter ROUTER = new PartitionRouter(SCHEMA.toPB(), HASH_ID_RANGE_REGION);

    @Test
    void equalityOnEveryPartitionColumnRoutesLikeTheRowWould() {
        List<PredicatePB> predicates = List.of(
                ColumnPredicate.comparison("id", ColumnPredicate.ComparisonOp.EQUAL, 42).toPB(SCHEMA),
                ColumnPredicate.comparison("region", ColumnPredicate.ComparisonOp.EQUAL, "eu").toPB(SCHEMA),
                ColumnPredicate.comparison("v", ColumnPredicate.ComparisonOp.GREATER, "a").toPB(SCHEMA));
        PartialRow row = SCHEMA.newPartialRow().addString("region", "eu").addLong("id", 42);

        assertThat(PartitionPruner.singlePartition(SCHEMA, HASH_ID_RANGE_REGION, ROUTER, predicates))
                .contains(ROUTER.route(row.cells()));
    }

    @Test
    void aPartitionColumnNotFixedByEqualityMeansEveryTablet() {
        List<PredicatePB> rangeOnly = List.of(
                ColumnPredicate.comparison("id", ColumnPredicate.ComparisonOp.EQUAL, 42L).toPB(SCHEMA),
                ColumnPredicate.comparison("region", ColumnPredicate.ComparisonOp.GREATER_EQUAL, "eu").toPB(SCHEMA));
        assertThat(PartitionPruner.singlePartition(SCHEMA, HASH_ID_RANGE_REGION, ROUTER, rangeOnly)).isEmpty();
        assertThat(PartitionPruner.singlePartition(SCHEMA, HASH_ID_RANGE_REGION, ROUTER, List.of())).isEmpty();
        List<PredicatePB> nullCheck = List.of(ColumnPredicate.isNull("id").toPB(SCHEMA),
                ColumnPredicate.comparison("region", ColumnPredicate.ComparisonOp.EQUAL, "eu").toPB(SCHEMA));
        assertThat(PartitionPruner.singlePartition(SCHEMA, HASH_ID_RANGE_REGION, ROUTER, nullCheck)).isEmpty();
    }
}
