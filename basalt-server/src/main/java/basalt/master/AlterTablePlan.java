package basalt.master;

import basalt.proto.AlterTableStepPB;
import basalt.proto.Code;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.SchemaPB;
import basalt.proto.TableRecordPB;
import basalt.tablet.PartitionSchema;
import basalt.tablet.Schema;
import basalt.tablet.SchemaEvolution;
import basalt.tablet.TabletException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What an AlterTable makes of a table record: its steps applied in order to the schema and name, the
 * schema version and record version raised by one, added columns given fresh ids from the table's
 * {@code next_column_id} (never reused, so an old row never shows a dropped column under a new one of
 * the same name), and the partition schema following renamed key columns. All steps or none: the first
 * bad step refuses the whole request with a {@link TabletException} naming it (INVALID_ARGUMENT, or
 * ALREADY_PRESENT for a table name another table holds). Pure, so the rules are tested without a master.
 */
final class AlterTablePlan {
    private AlterTablePlan() {}

    /**
     * @param nameTaken whether a table other than this one holds a name
     */
    static TableRecordPB apply(TableRecordPB table, List<AlterTableStepPB> steps, Predicate<String> nameTaken) {
        if (steps.isEmpty()) {
            throw TabletException.invalid("an alter of table '%s' needs at least one step", table.getName());
        }
        Schema before = Schema.fromPB(table.getSchema());
        List<ColumnSchemaPB> columns = new ArrayList<>(before.toPB().getColumnsList());
        String name = table.getName();
        int nextColumnId = Math.max(table.getNextColumnId(), before.maxColumnId() + 1);
        for (int i = 0; i < steps.size(); i++) {
            AlterTableStepPB step = steps.get(i);
            String where = "step " + i + " of the alter of table '" + table.getName() + "'";
            switch (step.getStepCase()) {
                case ADD_COLUMN -> {
                    ColumnSchemaPB column = step.getAddColumn().getColumn();
                    requireName(column.getName(), where);
                    if (indexOf(columns, column.getName()) >= 0) {
                        throw TabletException.invalid("%s: a column named '%s' exists", where, column.getName());
                    }
                    if (column.getType() == DataType.DATA_TYPE_UNSPECIFIED || column.getType() == DataType.UNRECOGNIZED) {
                        throw TabletException.invalid("%s: column '%s' has no type", where, column.getName());
                    }
                    if (column.getKey()) {
                        throw TabletException.invalid("%s: cannot add key column '%s'; the primary key is fixed "
                                + "at create", where, column.getName());
                    }
                    if (!column.getNullable()) {
                        throw TabletException.invalid("%s: added column '%s' must be nullable, as existing rows "
                                + "have no value for it", where, column.getName());
                    }
                    if (column.getId() != 0) {
                        throw TabletException.invalid("%s: column '%s' sets id %d; the master assigns column ids",
                                where, column.getName(), column.getId());
                    }
                    if (nextColumnId > Schema.MAX_COLUMN_ID) {
                        throw TabletException.invalid("%s: table '%s' has used all %d column ids", where,
                                table.getName(), Schema.MAX_COLUMN_ID);
                    }
                    columns.add(column.toBuilder().setId(nextColumnId++).build());
                }
                case DROP_COLUMN -> {
                    int index = existing(columns, step.getDropColumn().getName(), where);
                    if (columns.get(index).getKey()) {
                        throw TabletException.invalid("%s: cannot drop key column '%s'", where,
                                step.getDropColumn().getName());
                    }
                    columns.remove(index);
                }
                case RENAME_COLUMN -> {
                    int index = existing(columns, step.getRenameColumn().getOldName(), where);
                    String newName = step.getRenameColumn().getNewName();
                    requireName(newName, where);
                    if (indexOf(columns, newName) >= 0) {
                        throw TabletException.invalid("%s: cannot rename column '%s' to '%s': a column of that "
                                + "name exists", where, step.getRenameColumn().getOldName(), newName);
                    }
                    columns.set(index, columns.get(index).toBuilder().setName(newName).build());
                }
                case RENAME_TABLE -> {
                    String newName = step.getRenameTable().getNewName();
                    requireName(newName, where);
                    if (!newName.equals(table.getName()) && nameTaken.test(newName)) {
                        throw new TabletException(Code.ALREADY_PRESENT, where + ": cannot rename the table to '"
                                + newName + "': a table of that name exists");
                    }
                    name = newName;
                }
                default -> throw TabletException.invalid("%s names no change", where);
            }
        }
        SchemaPB schema = SchemaPB.newBuilder().addAllColumns(columns).setVersion(before.version() + 1).build();
        Schema after = Schema.fromPB(schema);
        SchemaEvolution.checkCompatible(before, after);
        var partitionSchema = SchemaEvolution.renameColumns(table.getPartitionSchema(), before, after);
        PartitionSchema.fromPB(partitionSchema, after);
        return table.toBuilder().setName(name).setSchema(schema).setPartitionSchema(partitionSchema)
                .setNextColumnId(nextColumnId).setVersion(table.getVersion() + 1).build();
    }

    private static void requireName(String name, String where) {
        if (name.isBlank()) {
            throw TabletException.invalid("%s: a name must not be empty", where);
        }
    }

    private static int existing(List<ColumnSchemaPB> columns, String name, String where) {
        int index = indexOf(columns, name);
        if (index < 0) {
            throw TabletException.invalid("%s: no column named '%s'", where, name);
        }
        return index;
    }

    private static int indexOf(List<ColumnSchemaPB> columns, String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).getName().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
