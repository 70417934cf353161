package basalt.tablet;

import basalt.proto.Code;
import basalt.proto.ColumnValuePB;
import basalt.proto.OperationType;
import basalt.proto.PartitionPB;
import basalt.proto.RowErrorPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.WriteRequestPB;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Checks a write at the leader before anything is replicated, so every replica later applies only rows
 * that are well formed and belong to the tablet. A row that fails gets a {@link RowErrorPB} with
 * INVALID_ARGUMENT and a message {@code "row N: ..."} naming the column; the other rows go on. A request
 * that is malformed as a whole (wrong tablet id, too many operations) is refused whole with a
 * {@link TabletException}; so is a write that names a schema version other than the tablet's
 * (SCHEMA_MISMATCH: its column indexes mean other columns here).
 *
 * <p>Rules per row: a known operation type; column indexes inside the schema and each at most once; values
 * of the column's type (integers in range of the narrow types); every key column set and not NULL; no
 * NULL in a NOT NULL column, and for INSERT, UPSERT and INSERT_IGNORE every NOT NULL column set (an
 * unset column of an insert is NULL); DELETE sets key columns only; no STRING/BINARY cell over
 * {@code maxCellBytes}; the row's key inside this tablet's partition; an expected row (compare-and-set)
 * only on an UPDATE, with values of the columns' types.
 */
public final class WriteValidator {
    /**
     * A validated write: accepted operations with their row numbers in the request, and the refused rows;
     * {@code decodedRows} are the accepted operations' rows as validation decoded them (same order).
     */
    public record Result(List<RowOperationPB> operations, List<Integer> rowIndexes, List<RowErrorPB> errors,
                         List<Row> decodedRows) {}

    /** A decoded row: cells in schema order and which of them the operation set. */
    record Row(Object[] cells, boolean[] set) {}

    private final Schema schema;
    private final PartitionSchema partitionSchema;
    private final PartitionPB partition;
    private final int maxCellBytes;
    private final int maxOperationsPerWrite;

    public WriteValidator(Schema schema, PartitionSchema partitionSchema, PartitionPB partition, int maxCellBytes,
                          int maxOperationsPerWrite) {
        this.schema = schema;
        this.partitionSchema = partitionSchema;
        this.partition = partition;
        this.maxCellBytes = maxCellBytes;
        this.maxOperationsPerWrite = maxOperationsPerWrite;
    }

    public Result validate(String tabletId, WriteRequestPB request) {
        if (!request.getTabletId().equals(tabletId)) {
            throw TabletException.invalid("write for tablet '%s' sent to tablet '%s'", request.getTabletId(), tabletId);
        }
        if (request.getSchemaVersion() != schema.version()) {
            throw schemaMismatch(tabletId, request.getSchemaVersion(), schema.version());
        }
        if (request.getOperationsCount() > maxOperationsPerWrite) {
            throw TabletException.invalid("write has %d operations, over the limit of %d",
                    request.getOperationsCount(), maxOperationsPerWrite);
        }
        if (request.hasRequestId() && (request.getRequestId().getClientId().isEmpty()
                || request.getRequestId().getSequence() < 0)) {
            throw TabletException.invalid("request id needs a client id and a sequence >= 0");
        }
        List<RowOperationPB> operations = new ArrayList<>();
        List<Integer> rowIndexes = new ArrayList<>();
        List<RowErrorPB> errors = new ArrayList<>();
        List<Row> decodedRows = new ArrayList<>(request.getOperationsCount());
        for (int i = 0; i < request.getOperationsCount(); i++) {
            RowOperationPB operation = request.getOperations(i);
            try {
                decodedRows.add(validateOperation(operation));
                operations.add(operation);
                rowIndexes.add(i);
            } catch (TabletException e) {
                errors.add(RowErrorPB.newBuilder().setRow(i)
                        .setError(TabletException.error(Code.INVALID_ARGUMENT, "row " + i + ": " + e.getMessage()))
                        .build());
            }
        }
        return new Result(List.copyOf(operations), List.copyOf(rowIndexes), List.copyOf(errors),
                Collections.unmodifiableList(decodedRows));
    }

    /** Why a write of {@code writeVersion} cannot go into a tablet of {@code tabletVersion}, and what to do. */
    static TabletException schemaMismatch(String tabletId, int writeVersion, int tabletVersion) {
        return new TabletException(Code.SCHEMA_MISMATCH, "write uses schema version " + writeVersion
                + " but tablet " + tabletId + " has schema version " + tabletVersion + "; "
                + (writeVersion < tabletVersion ? "refresh the table's schema from the master and retry"
                        : "the tablet has not applied that version yet; retry shortly"));
    }

    private Row validateOperation(RowOperationPB operation) {
        OperationType type = operation.getType();
        if (type == OperationType.OPERATION_TYPE_UNSPECIFIED || type == OperationType.UNRECOGNIZED) {
            throw TabletException.invalid("unknown operation type");
        }
        Row row = decode(schema, operation.getRow());
        if (operation.hasExpected()) {
            if (type != OperationType.UPDATE) {
                throw TabletException.invalid("an expected row (compare-and-set) needs UPDATE, not %s", type);
            }
            try {
                decode(schema, operation.getExpected());
            } catch (TabletException e) {
                throw TabletException.invalid("expected row: %s", e.getMessage());
            }
        }
        for (int i = 0; i < schema.columnCount(); i++) {
            ColumnSchema column = schema.column(i);
            if (column.key() && row.cells()[i] == null) {
                throw TabletException.invalid("key column '%s' is missing", column.name());
            }
            if (!column.key() && type == OperationType.DELETE && row.set()[i]) {
                throw TabletException.invalid("DELETE sets non-key column '%s'", column.name());
            }
            boolean nullAfterWrite = row.set()[i] ? row.cells()[i] == null
                    : type == OperationType.INSERT || type == OperationType.UPSERT || type == OperationType.INSERT_IGNORE;
            if (!column.nullable() && !column.key() && nullAfterWrite && type != OperationType.DELETE) {
                throw TabletException.invalid("column '%s' is NOT NULL but gets no value", column.name());
            }
            // A String's UTF-8 form is at most 3 bytes per char, so most strings need no exact count (which
            // encodes the string once more just to measure it).
            boolean surelyFits = row.cells()[i] instanceof String text && (long) text.length() * 3 <= maxCellBytes;
            int sizeBytes = surelyFits ? 0 : Values.sizeBytes(column.type(), row.cells()[i]);
            if (sizeBytes > maxCellBytes) {
                throw TabletException.invalid("column '%s' is %d bytes, over the cell limit of %d bytes",
                        column.name(), sizeBytes, maxCellBytes);
            }
        }
        String whyNot = partitionSchema.whyNotIn(partition, row.cells());
        if (whyNot != null) {
            throw TabletException.invalid("not in this tablet's partition (%s)", whyNot);
        }
        return row;
    }

    /** Decodes a RowPB against the schema; a bad index or a value of the wrong type is an INVALID_ARGUMENT. */
    static Row decode(Schema schema, RowPB row) {
        Object[] cells = new Object[schema.columnCount()];
        boolean[] set = new boolean[schema.columnCount()];
        for (ColumnValuePB value : row.getValuesList()) {
            int index = value.getColumn();
            if (index < 0 || index >= schema.columnCount()) {
                throw TabletException.invalid("unknown column index %d (the schema has %d columns)",
                        index, schema.columnCount());
            }
            ColumnSchema column = schema.column(index);
            if (set[index]) {
                throw TabletException.invalid("column '%s' is set twice", column.name());
            }
            set[index] = true;
            try {
                cells[index] = Values.fromPB(column.type(), value.getValue());
            } catch (TabletException e) {
                throw TabletException.invalid("column '%s': %s", column.name(), e.getMessage());
            }
        }
        return new Row(cells, set);
    }
}
