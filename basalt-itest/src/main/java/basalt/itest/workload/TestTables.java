package basalt.itest.workload;

import basalt.common.row.CellType;
import basalt.common.row.PackedRows;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.ColumnValuePB;
import basalt.proto.CreateTabletRequestPB;
import basalt.proto.DataType;
import basalt.proto.HostPortPB;
import basalt.proto.OperationType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.PeerPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.SchemaPB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.ValuePB;
import basalt.proto.WriteRequestPB;
import com.google.protobuf.ByteString;
import java.util.List;

/** The key-value table the integration tests and benchmarks write: {@code id INT64 KEY, v STRING}. */
public final class TestTables {
    private TestTables() {}

    public static TabletMetadataPB keyValueTablet(String tabletId) {
        SchemaPB schema = SchemaPB.newBuilder()
                .addColumns(ColumnSchemaPB.newBuilder().setName("id").setType(DataType.INT64).setKey(true))
                .addColumns(ColumnSchemaPB.newBuilder().setName("v").setType(DataType.STRING).setNullable(true))
                .build();
        return TabletMetadataPB.newBuilder().setTabletId(tabletId).setTableId("table-" + tabletId)
                .setTableName("kv_" + tabletId).setSchema(schema)
                .setPartitionSchema(PartitionSchemaPB.getDefaultInstance()).build();
    }

    public static CreateTabletRequestPB createRequest(TabletMetadataPB tablet, List<PeerPB> peers) {
        return CreateTabletRequestPB.newBuilder().setTablet(tablet).addAllPeers(peers).build();
    }

    public static PeerPB peer(String uuid, String host, int port) {
        return PeerPB.newBuilder().setUuid(uuid).setAddress(HostPortPB.newBuilder().setHost(host).setPort(port)).build();
    }

    public static RowOperationPB upsert(long id, String value) {
        return RowOperationPB.newBuilder().setType(OperationType.UPSERT).setRow(row(id, value)).build();
    }

    public static RowOperationPB insert(long id, String value) {
        return RowOperationPB.newBuilder().setType(OperationType.INSERT).setRow(row(id, value)).build();
    }

    public static RowPB row(long id, String value) {
        return RowPB.newBuilder()
                .addValues(ColumnValuePB.newBuilder().setColumn(0).setValue(ValuePB.newBuilder().setIntValue(id)))
                .addValues(ColumnValuePB.newBuilder().setColumn(1).setValue(ValuePB.newBuilder().setStringValue(value)))
                .build();
    }

    public static WriteRequestPB write(List<RowOperationPB> operations) {
        return WriteRequestPB.newBuilder().addAllOperations(operations).build();
    }

    /** {@code count} rows of one operation type, ids from {@code firstId} up, all with {@code value}, as one packed block. */
    public static WriteRequestPB packedWrite(OperationType type, long firstId, int count, String value) {
        PackedRows.Writer rows = new PackedRows.Writer(List.of(CellType.INT64, CellType.STRING), List.of("id", "v"),
                count * (16 + value.length()));
        Object[] cells = new Object[2];
        boolean[] set = {true, true};
        cells[1] = value;
        for (long id = firstId; id < firstId + count; id++) {
            cells[0] = id;
            rows.add(type.getNumber(), cells, set);
        }
        return WriteRequestPB.newBuilder().setPackedRows(ByteString.copyFrom(rows.toByteArray())).build();
    }

    /** The id of a scanned row (projection order: id, v). */
    public static long idOf(RowPB row) {
        return row.getValues(0).getValue().getIntValue();
    }

    public static String valueOf(RowPB row) {
        return row.getValues(1).getValue().getStringValue();
    }
}
