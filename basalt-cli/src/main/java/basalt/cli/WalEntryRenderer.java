package basalt.cli;

import basalt.common.row.CellType;
import basalt.common.row.PackedRows;
import basalt.consensus.core.Entry;
import basalt.consensus.core.Membership;
import basalt.proto.CatalogOpPB;
import basalt.proto.ColumnValuePB;
import basalt.proto.OperationType;
import basalt.proto.ReplicatedWritePB;
import basalt.proto.RowErrorPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.TableRecordPB;
import basalt.proto.TabletRecordPB;
import basalt.proto.ValuePB;
import basalt.tablet.ColumnSchema;
import basalt.tablet.Schema;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a WAL entry means, in one readable string: a tablet's NORMAL entry is a replicated write (its
 * timestamp and each row operation with its column values), the catalog's is a catalog change (tables
 * and tablets written or removed), a CONFIG entry is the membership it sets. Columns are named when a
 * schema is given, else shown by index ({@code c0=1}). A payload that does not decode is shown as such.
 */
final class WalEntryRenderer {
    private final boolean catalog;
    private final Schema schema;

    /** {@code catalog}: the WAL is the masters' catalog group; {@code schema} may be null. */
    WalEntryRenderer(boolean catalog, Schema schema) {
        this.catalog = catalog;
        this.schema = schema;
    }

    String render(Entry entry) {
        try {
            return switch (entry.type()) {
                case NO_OP -> "";
                case CONFIG -> "membership " + Membership.decode(entry.payload());
                case NORMAL -> catalog ? catalogOp(CatalogOpPB.parseFrom(entry.payload()))
                        : write(ReplicatedWritePB.parseFrom(entry.payload()));
            };
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return "undecodable payload (" + e.getMessage() + ")";
        }
    }

    private String write(ReplicatedWritePB write) {
        List<String> parts = new ArrayList<>();
        parts.add("timestamp=" + write.getTimestamp());
        if (write.hasRequestId()) {
            parts.add("request=" + write.getRequestId().getClientId() + "/" + write.getRequestId().getSequence());
        }
        for (RowOperationPB operation : write.getOperationsList()) {
            String rendered = operation.getType() + " " + row(operation.getRow());
            if (operation.hasExpected()) {
                rendered += " IF " + row(operation.getExpected());
            }
            parts.add(rendered);
        }
        if (!write.getPackedRows().isEmpty()) {
            parts.addAll(packedRows(write));
        }
        for (RowErrorPB refused : write.getValidationErrorsList()) {
            parts.add("REFUSED row " + refused.getRow() + ": " + refused.getError().getMessage());
        }
        return String.join(" | ", parts);
    }

    /** The replicated rows of a packed block (those at row_indexes, or all of them when it is empty). */
    private List<String> packedRows(ReplicatedWritePB write) {
        if (schema == null) {
            return List.of("packed rows (" + write.getPackedRows().size() + " bytes; give the schema to see them)");
        }
        List<PackedRows.Row> rows = PackedRows.decode(write.getPackedRows().toByteArray(),
                schema.columns().stream().map(column -> CellType.named(column.type().name())).toList(),
                schema.columns().stream().map(ColumnSchema::name).toList(), Integer.MAX_VALUE);
        List<Integer> indexes = write.getRowIndexesCount() > 0 ? write.getRowIndexesList()
                : java.util.stream.IntStream.range(0, rows.size()).boxed().toList();
        List<String> rendered = new ArrayList<>();
        for (int index : indexes) {
            PackedRows.Row row = rows.get(index);
            OperationType type = OperationType.forNumber(row.operationType());
            List<String> cells = new ArrayList<>();
            for (int column = 0; column < row.cells().length; column++) {
                if (row.set()[column]) {
                    cells.add(schema.column(column).name() + "=" + cell(row.cells()[column]));
                }
            }
            rendered.add((type != null ? type : "type " + row.operationType()) + " (" + String.join(", ", cells) + ")");
        }
        return rendered;
    }

    private static String cell(Object cell) {
        if (cell == null) {
            return "NULL";
        } else if (cell instanceof String text) {
            return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
        } else if (cell instanceof byte[] bytes) {
            return "0x" + java.util.HexFormat.of().formatHex(bytes);
        }
        return cell.toString();
    }

    private String row(RowPB row) {
        List<String> cells = new ArrayList<>();
        for (ColumnValuePB value : row.getValuesList()) {
            String name = schema != null && value.getColumn() < schema.columnCount()
                    ? schema.column(value.getColumn()).name() : "c" + value.getColumn();
            cells.add(name + "=" + value(value.getValue()));
        }
        return "(" + String.join(", ", cells) + ")";
    }

    private static String value(ValuePB value) {
        return switch (value.getValueCase()) {
            case INT_VALUE -> Long.toString(value.getIntValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case FLOAT_VALUE -> Float.toString(value.getFloatValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            case STRING_VALUE -> "\"" + value.getStringValue().replace("\\", "\\\\").replace("\"", "\\\"")
                    .replace("\n", "\\n") + "\"";
            case BINARY_VALUE -> "0x" + java.util.HexFormat.of().formatHex(value.getBinaryValue().toByteArray());
            case VALUE_NOT_SET -> "NULL";
        };
    }

    private static String catalogOp(CatalogOpPB op) {
        List<String> parts = new ArrayList<>();
        for (TableRecordPB table : op.getUpsertTablesList()) {
            parts.add("table " + table.getName() + " id=" + table.getTableId() + " " + table.getState()
                    + " version=" + table.getVersion());
        }
        for (TabletRecordPB tablet : op.getUpsertTabletsList()) {
            parts.add("tablet " + tablet.getTabletId() + " of " + tablet.getTableId() + " " + tablet.getState()
                    + " replicas=" + tablet.getReplicasList());
        }
        op.getRemoveTablesList().forEach(id -> parts.add("remove table " + id));
        op.getRemoveTabletsList().forEach(id -> parts.add("remove tablet " + id));
        if (op.hasMasterAddressBook()) {
            parts.add("masters " + op.getMasterAddressBook().getMastersList().stream()
                    .map(m -> m.getUuid() + "@" + m.getAddress().getHost() + ":" + m.getAddress().getPort()).toList());
        }
        return parts.isEmpty() ? "(empty catalog change)" : String.join(" | ", parts);
    }
}
