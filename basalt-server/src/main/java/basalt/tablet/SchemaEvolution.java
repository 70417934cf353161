package basalt.tablet;

import basalt.proto.PartitionSchemaPB;
import java.util.List;

/**
 * The rules a schema change must keep so that rows stored under the old schema read correctly under the
 * new one, and the partition schema that follows column renames. Pure; the master applies the same rules
 * when it plans an AlterTable, and a tablet checks them again before it replicates a change.
 *
 * <p>What may change: non-key columns may be added (nullable, with a fresh id: old rows read NULL) or
 * dropped (their cells in old rows are skipped by id, never shown again); any column, key columns
 * included, may be renamed (names are metadata; rows are keyed by id). What may not: the key columns
 * (their ids, types and order), and the type or nullability of a column that stays.
 */
public final class SchemaEvolution {
    private SchemaEvolution() {}

    /** Throws an INVALID_ARGUMENT {@link TabletException} when {@code to} cannot follow {@code from}. */
    public static void checkCompatible(Schema from, Schema to) {
        if (to.version() <= from.version()) {
            throw TabletException.invalid("schema version %d does not follow version %d", to.version(), from.version());
        }
        if (to.keyColumnCount() != from.keyColumnCount()) {
            throw TabletException.invalid("schema version %d has %d key columns, version %d has %d; key columns "
                    + "cannot be added or dropped", to.version(), to.keyColumnCount(), from.version(),
                    from.keyColumnCount());
        }
        for (int i = 0; i < from.keyColumnCount(); i++) {
            ColumnSchema before = from.column(i);
            ColumnSchema after = to.column(i);
            if (before.id() != after.id() || before.type() != after.type()) {
                throw TabletException.invalid("key column %d changes from %s (id %d) to %s (id %d); key columns "
                        + "can only be renamed", i, before, before.id(), after, after.id());
            }
        }
        for (ColumnSchema after : to.columns()) {
            int index = from.indexOfId(after.id());
            if (index < 0) {
                if (after.key() || !after.nullable()) {
                    throw TabletException.invalid("added column '%s' must be a nullable non-key column", after.name());
                }
                continue;
            }
            ColumnSchema before = from.column(index);
            if (before.type() != after.type() || before.nullable() != after.nullable() || before.key() != after.key()) {
                throw TabletException.invalid("column '%s' (id %d) changes from %s to %s; only its name may change",
                        before.name(), before.id(), before, after);
            }
        }
    }

    /** The partition schema with its column names as {@code to} names the same columns (by id). */
    public static PartitionSchemaPB renameColumns(PartitionSchemaPB partitionSchema, Schema from, Schema to) {
        return partitionSchema.toBuilder().clearHashColumns()
                .addAllHashColumns(rename(partitionSchema.getHashColumnsList(), from, to))
                .clearRangeColumns().addAllRangeColumns(rename(partitionSchema.getRangeColumnsList(), from, to))
                .build();
    }

    private static List<String> rename(List<String> names, Schema from, Schema to) {
        return names.stream().map(name -> {
            int index = from.indexOf(name);
            int renamed = index < 0 ? -1 : to.indexOfId(from.column(index).id());
            if (renamed < 0) {
                throw TabletException.invalid("partition column '%s' is not in both schema versions", name);
            }
            return to.column(renamed).name();
        }).toList();
    }
}
