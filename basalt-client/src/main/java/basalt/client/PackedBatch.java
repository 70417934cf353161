package basalt.client;

import basalt.common.row.CellType;
import basalt.common.row.PackedRows;
import basalt.proto.WriteRequestPB;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.List;

/**
 * A batch of operations on one tablet as the rows of a WriteRequestPB: one packed block
 * ({@link PackedRows}), which the tablet decodes once per replica instead of five protobuf messages per
 * row. Row i of the block is operation i, so the tablet's row errors name the batch's operations.
 */
final class PackedBatch {
    private PackedBatch() {}

    /** The rows of {@code batch}, whose operations all come from tables of one schema (one tablet's batch). */
    static WriteRequestPB rows(List<Operation> batch) {
        Schema schema = batch.get(0).row().schema();
        List<CellType> types = schema.columns().stream().map(column -> CellType.named(column.type().name())).toList();
        List<String> names = schema.columns().stream().map(ColumnSchema::name).toList();
        PackedRows.Writer writer = new PackedRows.Writer(types, names, batch.size() * 32);
        Object[] cells = new Object[types.size()];
        for (Operation operation : batch) {
            PartialRow row = operation.row();
            if (row.schema().columnCount() != types.size()) {
                throw new IllegalStateException("one batch holds rows of " + types.size() + " and of "
                        + row.schema().columnCount() + " columns");
            }
            Object[] rowCells = row.cells();
            for (int i = 0; i < cells.length; i++) {
                // The writer takes BINARY as a ByteBuffer: a view of the ByteString, not a copy.
                cells[i] = rowCells[i] instanceof ByteString bytes ? bytes.asReadOnlyByteBuffer() : rowCells[i];
            }
            writer.add(operation.type().getNumber(), cells, row.setColumns());
        }
        return WriteRequestPB.newBuilder().setPackedRows(UnsafeByteOperations.unsafeWrap(writer.toByteArray())).build();
    }
}
