package basalt.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.proto.AlterTableStepPB;
import basalt.proto.Code;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.TableRecordPB;
import basalt.proto.TableState;
import basalt.tablet.Schema;
import basalt.tablet.TabletException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Goal: what an AlterTable makes of a table record, and every refusal naming its step, with nothing half-applied. */
class AlterTablePlanTest {
    static final Schema CREATED = Schema.parse("id INT64 KEY, name STRING, v DOUBLE");
    static final TableRecordPB TABLE = TableRecordPB.newBuilder().setTableId("t1").setName("orders")
            .setSchema(CREATED.toPB()).setInitialSchema(CREATED.toPB()).setNextColumnId(4).setVersion(3)
            .setPartitionSchema(PartitionSchemaPB.newBuilder().addHashColumns("id").setHashBuckets(4))
            .setState(TableState.TABLE_RUNNING).setNumReplicas(3).build();

    static AlterTableStepPB add(String name, DataType type, boolean nullable) {
        return AlterTableStepPB.newBuilder().setAddColumn(AlterTableStepPB.AddColumn.newBuilder().setColumn(
                ColumnSchemaPB.newBuilder().setName(name).setType(type).setNullable(nullable))).build();
    }

    static AlterTableStepPB drop(String name) {
        return AlterTableStepPB.newBuilder().setDropColumn(AlterTableStepPB.DropColumn.newBuilder().setName(name)).build();
    }

    static AlterTableStepPB rename(String from, String to) {
        return AlterTableStepPB.newBuilder().setRenameColumn(AlterTableStepPB.RenameColumn.newBuilder()
                .setOldName(from).setNewName(to)).build();
    }

    static AlterTableStepPB renameTable(String to) {
        return AlterTableStepPB.newBuilder().setRenameTable(AlterTableStepPB.RenameTable.newBuilder().setNewName(to))
                .build();
    }

    static TableRecordPB alter(AlterTableStepPB... steps) {
        return AlterTablePlan.apply(TABLE, List.of(steps), Set.of("customers")::contains);
    }

    static String columns(TableRecordPB table) {
        return String.join(", ", table.getSchema().getColumnsList().stream()
                .map(c -> c.getId() + ":" + c.getName()).toList());
    }

    @Test
    void stepsApplyInOrderAndRaiseTheSchemaAndRecordVersionsByOne() {
        TableRecordPB altered = alter(add("extra", DataType.STRING, true), drop("name"), rename("v", "value"),
                rename("id", "order_id"), renameTable("sales"));

        assertThat(columns(altered)).isEqualTo("1:order_id, 3:value, 4:extra");
        assertThat(altered.getSchema().getVersion()).isEqualTo(1);
        assertThat(altered.getVersion()).isEqualTo(4);
        assertThat(altered.getName()).isEqualTo("sales");
        assertThat(altered.getPartitionSchema().getHashColumnsList()).as("follows the key rename").containsExactly("order_id");
        assertThat(altered.getInitialSchema()).as("new replicas still start from version 0").isEqualTo(CREATED.toPB());
    }

    @Test
    void columnIdsAreNeverReusedEvenForTheNameOfADroppedColumn() {
        TableRecordPB dropped = alter(drop("v"));
        TableRecordPB readded = AlterTablePlan.apply(dropped, List.of(add("v", DataType.DOUBLE, true)), name -> false);

        // v had id 3, the largest: a new id from the largest id left (2) would have been 3 again.
        assertThat(columns(readded)).isEqualTo("1:id, 2:name, 4:v");
        assertThat(readded.getNextColumnId()).isEqualTo(5);
        assertThat(readded.getSchema().getVersion()).isEqualTo(2);
    }

    @Test
    void badStepsAreRefusedWholeNamingTheStep() {
        assertRefused(Code.INVALID_ARGUMENT, "step 1 of the alter of table 'orders': no column named 'nope'",
                add("ok", DataType.INT32, true), drop("nope"));
        assertRefused(Code.INVALID_ARGUMENT, "step 0 of the alter of table 'orders': cannot drop key column 'id'",
                drop("id"));
        assertRefused(Code.INVALID_ARGUMENT, "step 0 of the alter of table 'orders': cannot rename column 'v' to "
                + "'name': a column of that name exists", rename("v", "name"));
        assertRefused(Code.INVALID_ARGUMENT, "step 0 of the alter of table 'orders': a column named 'v' exists",
                add("v", DataType.INT8, true));
        assertRefused(Code.INVALID_ARGUMENT, "step 0 of the alter of table 'orders': added column 'w' must be "
                + "nullable, as existing rows have no value for it", add("w", DataType.INT8, false));
        assertRefused(Code.ALREADY_PRESENT, "step 0 of the alter of table 'orders': cannot rename the table to "
                + "'customers': a table of that name exists", renameTable("customers"));
        assertRefused(Code.INVALID_ARGUMENT, "an alter of table 'orders' needs at least one step");
        assertRefused(Code.INVALID_ARGUMENT, "step 0 of the alter of table 'orders': column 'k' sets id 9; the "
                + "master assigns column ids", AlterTableStepPB.newBuilder().setAddColumn(AlterTableStepPB.AddColumn
                .newBuilder().setColumn(ColumnSchemaPB.newBuilder().setName("k").setType(DataType.INT8)
                        .setNullable(true).setId(9))).build());
        assertRefused(Code.INVALID_ARGUMENT, "step 0 of the alter of table 'orders': cannot add key column 'k'; "
                + "the primary key is fixed at create", AlterTableStepPB.newBuilder().setAddColumn(
                AlterTableStepPB.AddColumn.newBuilder().setColumn(ColumnSchemaPB.newBuilder().setName("k")
                        .setType(DataType.INT8).setKey(true))).build());
    }

    @Test
    void droppingEveryNonKeyColumnAndRenamingTheTableToItsOwnNameAreFine() {
        TableRecordPB altered = alter(drop("name"), drop("v"), renameTable("orders"));
        assertThat(columns(altered)).isEqualTo("1:id");
        assertThat(altered.getName()).isEqualTo("orders");
    }

    static void assertRefused(Code code, String message, AlterTableStepPB... steps) {
        assertThatThrownBy(() -> alter(steps)).isInstanceOfSatisfying(TabletException.class,
                e -> assertThat(e.code()).isEqualTo(code)).hasMessage(message);
    }
}
