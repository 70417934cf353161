package basalt.tablet;

import basalt.common.row.CellType;
import basalt.common.row.MalformedRowsException;
import basalt.common.row.PackedRows;
import basalt.proto.Code;
import basalt.proto.ColumnValuePB;
import basalt.proto.OperationType;
import basalt.proto.PartitionPB;
import basalt.proto.RowErrorPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.WriteRequestPB;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Checks a write at the leader before anything is replicated, so every replica later applies only rows
 * that are well formed and belong to the tablet. A row that fails gets a {@link RowErrorPB} with
 * INVALID_ARGUMENT and a message {@code "row N: ..."} naming the column; the other rows go on. A request
 * that is malformed as a whole (wrong tablet id, too many operations, a packed block whose structure is
 * broken, both operations and a packed block) is refused whole with a
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
     * A validated write: the row numbers in the request of the accepted rows, and the refused rows;
     * a write of {@code operations} has the accepted ones in {@code operations}, and in {@code decodedRows}
     * as validation decoded them (same order). A packed write has both empty: its rows stay in the block,
     * which validation reads in place and apply reads again.
     */
    public record Result(List<RowOperationPB> operations, List<Integer> rowIndexes, List<RowErrorPB> errors,
                         List<Row> decodedRows) {
        public boolean nothingAccepted() {
            return rowIndexes.isEmpty();
        }
    }

    /**
     * A decoded row: its operation, cells in schema order, which of them the operation set, and the expected
     * row of a compare-and-set UPDATE (null for none; packed rows carry none).
     */
    record Row(OperationType type, Object[] cells, boolean[] set, RowPB expected) {}

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
        boolean packed = !request.getPackedRows().isEmpty();
        if (packed && request.getOperationsCount() > 0) {
            throw TabletException.invalid("write carries both operations and packed rows; send one or the other");
        }
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
        if (packed) {
            return validatePacked(request.getPackedRows());
        }
        List<RowOperationPB> operations = new ArrayList<>();
        List<Integer> rowIndexes = new ArrayList<>();
        List<RowErrorPB> errors = new ArrayList<>();
        List<Row> decodedRows = new ArrayList<>(request.getOperationsCount());
        for (int i = 0; i < request.getOperationsCount(); i++) {
            RowOperationPB operation = request.getOperations(i);
            try {
                checkType(operation.getType()); // before the cells, so a row with both wrong says this
                Row row = decode(schema, operation);
                check(row);
                decodedRows.add(row);
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

    /**
     * The packed form of {@link #validate}: the same rules and messages, read from the block's bytes without
     * building a cell (only the key columns, for the partition check). Apply reads the block again on every
     * replica, so nothing decoded here is kept.
     */
    private Result validatePacked(ByteString block) {
        PackedRows.Index index;
        try {
            index = PackedRows.index(block.toByteArray(), schema.cellTypes(), schema.columnNames(),
                    maxOperationsPerWrite);
        } catch (MalformedRowsException e) {
            throw TabletException.invalid("%s", e.getMessage());
        }
        List<Integer> rowIndexes = new ArrayList<>(index.rowCount());
        List<RowErrorPB> errors = new ArrayList<>();
        for (int i = 0; i < index.rowCount(); i++) {
            try {
                checkPacked(index, i);
                rowIndexes.add(i);
            } catch (TabletException e) {
                errors.add(RowErrorPB.newBuilder().setRow(i)
                        .setError(TabletException.error(Code.INVALID_ARGUMENT, "row " + i + ": " + e.getMessage()))
                        .build());
            }
        }
        return new Result(List.of(), Collections.unmodifiableList(rowIndexes), List.copyOf(errors), List.of());
    }

    /** {@link #check} of a packed row, after the content checks its decoding makes (BOOL bytes, UTF-8). */
    private void checkPacked(PackedRows.Index index, int row) {
        String contentError = contentError(index, row);
        if (contentError != null) {
            throw TabletException.invalid("%s", contentError);
        }
        OperationType type = OperationType.forNumber(index.operationType(row));
        checkType(type == null ? OperationType.UNRECOGNIZED : type);
        for (int i = 0; i < schema.columnCount(); i++) {
            ColumnSchema column = schema.column(i);
            boolean set = index.isSet(row, i);
            boolean isNull = !set || index.isNull(row, i);
            if (column.key() && isNull) {
                throw TabletException.invalid("key column '%s' is missing", column.name());
            }
            if (!column.key() && type == OperationType.DELETE && set) {
                throw TabletException.invalid("DELETE sets non-key column '%s'", column.name());
            }
            boolean nullAfterWrite = set ? isNull
                    : type == OperationType.INSERT || type == OperationType.UPSERT || type == OperationType.INSERT_IGNORE;
            if (!column.nullable() && !column.key() && nullAfterWrite && type != OperationType.DELETE) {
                throw TabletException.invalid("column '%s' is NOT NULL but gets no value", column.name());
            }
            // A cell's byte length is its size (Values.sizeBytes): a fixed width, or a STRING's UTF-8 bytes.
            int sizeBytes = isNull ? 0 : index.cellLength(row, i);
            if (sizeBytes > maxCellBytes) {
                throw TabletException.invalid("column '%s' is %d bytes, over the cell limit of %d bytes",
                        column.name(), sizeBytes, maxCellBytes);
            }
        }
        String whyNot = partitionSchema.whyNotIn(partition, keyCells(index, row));
        if (whyNot != null) {
            throw TabletException.invalid("not in this tablet's partition (%s)", whyNot);
        }
    }

    /** What {@link PackedRows#decode} would give as the row's error: its first bad BOOL byte or non-UTF-8 STRING. */
    private String contentError(PackedRows.Index index, int row) {
        byte[] block = index.block();
        List<CellType> types = schema.cellTypes();
        List<String> names = schema.columnNames();
        for (int i = 0; i < types.size(); i++) {
            CellType type = types.get(i);
            if ((type != CellType.BOOL && type != CellType.STRING) || !index.isSet(row, i) || index.isNull(row, i)) {
                continue;
            }
            int at = index.cellStart(row, i);
            if (type == CellType.BOOL && block[at] != 0 && block[at] != 1) {
                return "column '" + names.get(i) + "': BOOL byte " + block[at] + " is neither 0 nor 1";
            }
            if (type == CellType.STRING && !UnsafeByteOperations.unsafeWrap(block, at, index.cellLength(row, i)).isValidUtf8()) {
                return "column '" + names.get(i) + "': not valid UTF-8";
            }
        }
        return null;
    }

    /** The row's key cells as decoding gives them (the partition check reads only key columns); others null. */
    private Object[] keyCells(PackedRows.Index index, int row) {
        Object[] cells = new Object[schema.columnCount()];
        byte[] block = index.block();
        for (int i = 0; i < schema.keyColumnCount(); i++) {
            int at = index.cellStart(row, i);
            cells[i] = switch (schema.cellTypes().get(i)) {
                case INT8, INT16, INT32, INT64, TIMESTAMP -> index.integer(row, i);
                case BOOL -> block[at] == 1;
                case FLOAT -> Float.intBitsToFloat(index.floatBits(row, i));
                case DOUBLE -> Double.longBitsToDouble(index.doubleBits(row, i));
                case STRING -> new String(block, at, index.cellLength(row, i), StandardCharsets.UTF_8);
                case BINARY -> ByteString.copyFrom(block, at, index.cellLength(row, i));
            };
        }
        return cells;
    }

    /**
     * A replica's index of a replicated packed block, which the leader validated under this same schema (the
     * caller checked the version): a block that does not index is a broken entry, not bad input.
     */
    static PackedRows.Index indexPacked(Schema schema, ByteString block) {
        return PackedRows.index(block.toByteArray(), schema.cellTypes(), schema.columnNames(), Integer.MAX_VALUE);
    }

    /** One row of a replicated block, decoded into cells. */
    static Row decodePackedRow(Schema schema, PackedRows.Index index, int row) {
        return fromPacked(schema, PackedRows.decodeRow(index, schema.cellTypes(), schema.columnNames(), row));
    }

    private static Row fromPacked(Schema schema, PackedRows.Row packed) {
        if (packed.error() != null) {
            throw TabletException.invalid(packed.error());
        }
        OperationType type = OperationType.forNumber(packed.operationType());
        if (type == null) {
            type = OperationType.UNRECOGNIZED;
        }
        Object[] cells = packed.cells();
        for (int i = 0; i < cells.length; i++) {
            if (cells[i] instanceof byte[] bytes) {
                cells[i] = UnsafeByteOperations.unsafeWrap(bytes); // the decoder's own copy: nobody else holds it
            }
        }
        return new Row(type, cells, packed.set(), null);
    }


    private static void checkType(OperationType type) {
        if (type == OperationType.OPERATION_TYPE_UNSPECIFIED || type == OperationType.UNRECOGNIZED) {
            throw TabletException.invalid("unknown operation type");
        }
    }

    /** The schema's rules for one decoded row; see the class comment. */
    private void check(Row row) {
        OperationType type = row.type();
        checkType(type);
        if (row.expected() != null) {
            if (type != OperationType.UPDATE) {
                throw TabletException.invalid("an expected row (compare-and-set) needs UPDATE, not %s", type);
            }
            try {
                decode(schema, row.expected());
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
    }

    /** Decodes a RowPB against the schema; a bad index or a value of the wrong type is an INVALID_ARGUMENT. */
    /** Decodes an operation's row, keeping its expected row (compare-and-set) undecoded. */
    static Row decode(Schema schema, RowOperationPB operation) {
        Row row = decode(schema, operation.getType(), operation.getRow());
        return operation.hasExpected() ? new Row(row.type(), row.cells(), row.set(), operation.getExpected()) : row;
    }

    static Row decode(Schema schema, RowPB row) {
        return decode(schema, OperationType.OPERATION_TYPE_UNSPECIFIED, row);
    }

    static Row decode(Schema schema, OperationType type, RowPB row) {
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
        return new Row(type, cells, set, null);
    }
}
