package basalt.tablet;

import basalt.common.row.PackedRows;
import basalt.proto.OperationType;
import java.util.List;

/**
 * The accepted rows of a replicated write as apply reads them, by position in the entry. A row's key and
 * its value as a new version are all that an insert of a new key needs, so a packed block gives them
 * straight from its bytes ({@link PackedRowEncoder}), and decodes a row into cells only for what needs the
 * cells: merging into a live row, a compare-and-set, an error message.
 */
abstract sealed class WriteRows {
    abstract int count();

    abstract OperationType type(int i);

    /** The encoded primary key ({@link KeyEncoder#encodeKey}). */
    abstract byte[] key(int i);

    /** The stored value of the row as a version of a key that has no live one ({@link RowCodec#encode}). */
    abstract byte[] newRowValue(int i);

    /** The row as cells. */
    abstract WriteValidator.Row decoded(int i);

    static WriteRows of(Schema schema, List<WriteValidator.Row> rows) {
        return new Decoded(schema, rows);
    }

    /** {@code rowNumbers}: the block's rows to apply, in order; empty for all of them. */
    static WriteRows of(Schema schema, PackedRows.Index index, List<Integer> rowNumbers) {
        for (int row : rowNumbers) {
            if (row < 0 || row >= index.rowCount()) {
                throw new IllegalStateException("replicated write names row " + row + " of a block of " + index.rowCount());
            }
        }
        return new Packed(schema, index, rowNumbers);
    }

    private static final class Decoded extends WriteRows {
        private final Schema schema;
        private final List<WriteValidator.Row> rows;

        Decoded(Schema schema, List<WriteValidator.Row> rows) {
            this.schema = schema;
            this.rows = rows;
        }

        @Override
        int count() {
            return rows.size();
        }

        @Override
        OperationType type(int i) {
            return rows.get(i).type();
        }

        @Override
        byte[] key(int i) {
            return KeyEncoder.encodeKey(schema, rows.get(i).cells());
        }

        @Override
        byte[] newRowValue(int i) {
            return RowCodec.encode(schema, rows.get(i).cells());
        }

        @Override
        WriteValidator.Row decoded(int i) {
            return rows.get(i);
        }
    }

    private static final class Packed extends WriteRows {
        private final Schema schema;
        private final PackedRows.Index index;
        private final List<Integer> rowNumbers;
        private final PackedRowEncoder encoder;

        Packed(Schema schema, PackedRows.Index index, List<Integer> rowNumbers) {
            this.schema = schema;
            this.index = index;
            this.rowNumbers = rowNumbers;
            this.encoder = new PackedRowEncoder(schema);
        }

        private int row(int i) {
            return rowNumbers.isEmpty() ? i : rowNumbers.get(i);
        }

        @Override
        int count() {
            return rowNumbers.isEmpty() ? index.rowCount() : rowNumbers.size();
        }

        @Override
        OperationType type(int i) {
            OperationType type = OperationType.forNumber(index.operationType(row(i)));
            return type == null ? OperationType.UNRECOGNIZED : type;
        }

        @Override
        byte[] key(int i) {
            return encoder.key(index, row(i));
        }

        @Override
        byte[] newRowValue(int i) {
            return encoder.newRowValue(index, row(i));
        }

        @Override
        WriteValidator.Row decoded(int i) {
            return WriteValidator.decodePackedRow(schema, index, row(i));
        }
    }
}
