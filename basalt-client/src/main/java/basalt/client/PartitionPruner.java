package basalt.client;

import basalt.client.partition.PartitionRouter;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.PredicatePB;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which single partition a scan can be limited to: when its predicates fix every hash and range column
 * with EQUAL, all its rows are in the one tablet those values route to (a point read costs one tablet's
 * RPC instead of one per tablet). Two EQUAL predicates on one column with different values match no row,
 * so whichever routes is as good. Any other scan reads every tablet.
 */
final class PartitionPruner {
    private PartitionPruner() {}

    static Optional<PartitionRouter.Route> singlePartition(Schema schema, PartitionSchemaPB partitionSchema,
                                                           PartitionRouter router, List<PredicatePB> predicates) {
        Object[] cells = new Object[schema.columnCount()];
        for (PredicatePB predicate : predicates) {
            if (predicate.getOp() == PredicatePB.Op.EQUAL && predicate.hasValue()) {
                cells[schema.indexOrThrow(predicate.getColumn())] = Cells.fromPB(predicate.getValue());
            }
        }
        List<String> partitionColumns = new ArrayList<>(partitionSchema.getHashColumnsList());
        partitionColumns.addAll(partitionSchema.getRangeColumnsList());
        for (String column : partitionColumns) {
            if (cells[schema.indexOrThrow(column)] == null) {
                return Optional.empty();
            }
        }
        return Optional.of(router.route(cells));
    }
}
