package basalt.client;

import basalt.proto.AlterTableStepPB;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import java.util.ArrayList;
import java.util.List;

/**
 * The changes of one AlterTable, applied in the order they were added, all or none. Columns can be added
 * (nullable, non-key: rows written before read NULL), dropped and renamed, and the table renamed.
 * Operations made from a {@link BasaltTable} opened before the alter are refused with SCHEMA_MISMATCH once
 * its tablets run the new schema; see {@link Session}.
 */
public final class AlterTableOptions {
    private final List<AlterTableStepPB> steps = new ArrayList<>();

    /** Adds a nullable, non-key column; existing rows read NULL for it. */
    public AlterTableOptions addNullableColumn(String name, DataType type) {
        // Validates the name and type here, so a bad alter never leaves the client.
        ColumnSchema column = ColumnSchema.nullable(name, type);
        steps.add(AlterTableStepPB.newBuilder().setAddColumn(AlterTableStepPB.AddColumn.newBuilder()
                .setColumn(ColumnSchemaPB.newBuilder().setName(column.name()).setType(column.type()).setNullable(true)))
                .build());
        return this;
    }

    public AlterTableOptions dropColumn(String name) {
        steps.add(AlterTableStepPB.newBuilder().setDropColumn(AlterTableStepPB.DropColumn.newBuilder()
                .setName(requireName(name, "the column to drop"))).build());
        return this;
    }

    public AlterTableOptions renameColumn(String oldName, String newName) {
        steps.add(AlterTableStepPB.newBuilder().setRenameColumn(AlterTableStepPB.RenameColumn.newBuilder()
                .setOldName(requireName(oldName, "the column to rename"))
                .setNewName(requireName(newName, "the new name of column '" + oldName + "'"))).build());
        return this;
    }

    public AlterTableOptions renameTable(String newName) {
        steps.add(AlterTableStepPB.newBuilder().setRenameTable(AlterTableStepPB.RenameTable.newBuilder()
                .setNewName(requireName(newName, "the table's new name"))).build());
        return this;
    }

    /** Whether no change was added (such an alter is refused before it is sent). */
    public boolean isEmpty() {
        return steps.isEmpty();
    }

    List<AlterTableStepPB> steps() {
        return List.copyOf(steps);
    }

    private static String requireName(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(what + " needs a non-blank name");
        }
        return name;
    }
}
