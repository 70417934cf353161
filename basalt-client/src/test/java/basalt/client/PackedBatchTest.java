package basalt.client;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.row.CellType;
import basalt.common.row.PackedRows;
import basalt.proto.DataType;
import basalt.proto.OperationType;
import basalt.proto.TableRecordPB;
import basalt.proto.WriteRequestPB;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Goal: a session's batch reaches the tablet as one packed block whose row i is operation i, cell for cell. */
class PackedBatchTest {
    static final Schema SCHEMA = new Schema(List.of(ColumnSchema.key("id", DataType.INT64),
            ColumnSchema.nullable("i8", DataType.INT8), ColumnSchema.nullable("i16", DataType.INT16),
            ColumnSchema.nullable("i32", DataType.INT32), ColumnSchema.nullable("ts", DataType.TIMESTAMP),
            ColumnSchema.nullable("b", DataType.BOOL), ColumnSchema.nullable("f", DataType.FLOAT),
            ColumnSchema.nullable("d", DataType.DOUBLE), ColumnSchema.nullable("s", DataType.STRING),
            ColumnSchema.nullable("bin", DataType.BINARY)));

    static BasaltTable table() {
        return new BasaltTable(null, TableRecordPB.newBuilder().setTableId("t-id").setName("t").setSchema(SCHEMA.toPB())
                .build());
    }

    @Test
    void everyOperationBecomesItsRowOfTheBlock() {
        BasaltTable table = table();
        Operation full = table.newInsert();
        full.row().addLong("id", 1).addByte("i8", (byte) -3).addShort("i16", (short) 300).addInt("i32", -70_000)
                .addTimestampMicros("ts", 1_700_000_000_000_000L).addBoolean("b", true).addFloat("f", 1.5f)
                .addDouble("d", -2.25).addString("s", "héllo").addBinary("bin", new byte[] {0, 1, 2});
        Operation sparse = table.newUpdate();
        sparse.row().addLong("id", 2).setNull("s");
        Operation delete = table.newDelete();
        delete.row().addLong("id", 3);

        WriteRequestPB rows = PackedBatch.rows(List.of(full, sparse, delete));

        assertThat(rows.getOperationsCount()).isZero();
        List<CellType> types = SCHEMA.columns().stream().map(c -> CellType.named(c.type().name())).toList();
        List<PackedRows.Row> decoded = PackedRows.decode(rows.getPackedRows().toByteArray(), types,
                SCHEMA.columns().stream().map(ColumnSchema::name).toList(), 10);
        assertThat(decoded).extracting(PackedRows.Row::operationType).containsExactly(OperationType.INSERT.getNumber(),
                OperationType.UPDATE.getNumber(), OperationType.DELETE.getNumber());
        assertThat(decoded.get(0).cells()).startsWith(1L, -3L, 300L, -70_000L, 1_700_000_000_000_000L, true, 1.5f,
                -2.25, "héllo");
        assertThat((byte[]) decoded.get(0).cells()[9]).containsExactly(0, 1, 2);
        assertThat(decoded.get(1).set()).containsExactly(true, false, false, false, false, false, false, false, true, false);
        assertThat(decoded.get(1).cells()[8]).isNull();
        assertThat(decoded.get(2).set()).containsExactly(true, false, false, false, false, false, false, false, false, false);
        assertThat(decoded).extracting(PackedRows.Row::error).containsOnlyNulls();
    }
}
