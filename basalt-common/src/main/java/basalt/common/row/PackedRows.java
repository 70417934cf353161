package basalt.common.row;

import basalt.common.bytes.Varints;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A batch of row operations as one byte block, so a write is parsed once per replica instead of as five
 * protobuf messages per row, and the leader replicates the client's bytes as they came (in the spirit of
 * Kudu's {@code RowOperationsPB}). Columns are those of the schema version the write names, by index.
 *
 * <pre>
 * block  := byte format (1), varint column count n, varint row count, row*
 * row    := byte operation type (the wire OperationType number),
 *           set bitmap, null bitmap (each ceil(n/8) bytes; bit i of byte i/8 is column i; unused bits 0;
 *           a NULL bit only on a set column),
 *           then each set, non-NULL column in index order:
 *             INT8 1, INT16 2, INT32 4, INT64 8, TIMESTAMP 8, FLOAT 4, DOUBLE 8 bytes (little-endian,
 *             FLOAT/DOUBLE as IEEE bits), BOOL 1 byte (0 or 1),
 *             STRING (UTF-8) and BINARY as varint length then the bytes
 * varint := unsigned LEB128, at most 5 bytes, below 2^31
 * </pre>
 *
 * <p>Decoding tells two kinds of problem apart. A block whose structure is broken (truncated, a length past
 * the end, trailing bytes, a header that does not fit the schema) throws {@link MalformedRowsException}:
 * the write is refused whole. A row whose extent is sound but whose content is not (a BOOL byte other than 0
 * or 1, a STRING that is not UTF-8) decodes to a {@link Row} with an {@link Row#error()}, and the other rows
 * go on. Whether the operation type is known, and the schema's rules (keys, NOT NULL, sizes), are for the
 * reader to check.
 */
public final class PackedRows {
    public static final byte FORMAT = 1;

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private PackedRows() {}

    /**
     * One decoded row: the operation type number, cells in column order ({@code Long} for integers and
     * TIMESTAMP, {@code Boolean}, {@code Float}, {@code Double}, {@code String}, {@code byte[]} for BINARY;
     * null for NULL or unset), which columns it set, and why it is unusable (null when it is usable).
     */
    public record Row(int operationType, Object[] cells, boolean[] set, String error) {}

    /** Decodes a whole block; see the class comment for what throws and what becomes a row's error. */
    public static List<Row> decode(byte[] block, List<CellType> types, List<String> names, int maxRows) {
        return new Reader(block, types.toArray(CellType[]::new), names).readAll(maxRows);
    }

    /**
     * Where each row and each cell of a block lies, found by one pass over its structure (what {@link #decode}
     * throws MalformedRowsException for, this throws for too) without building any cell: a reader that turns
     * cells straight into other bytes (a stored key, a stored row) reads them here. The content checks of
     * {@link #decode} (BOOL bytes, UTF-8) are not made: {@link #decodeRow} makes them for one row.
     */
    public static Index index(byte[] block, List<CellType> types, List<String> names, int maxRows) {
        return new Reader(block, types.toArray(CellType[]::new), names).indexAll(maxRows);
    }

    /** One row of an indexed block, decoded as {@link #decode} decodes it. */
    public static Row decodeRow(Index index, List<CellType> types, List<String> names, int row) {
        Reader reader = new Reader(index.block, types.toArray(CellType[]::new), names);
        reader.position = index.rowStarts[row];
        return reader.readRow(row);
    }

    /** See {@link #index}. Cells are addressed by row and column index; the block is not copied. */
    public static final class Index {
        private static final int UNSET = -1;
        private static final int NULL = -2;

        private final byte[] block;
        private final int columns;
        private final int[] rowStarts;
        /** Per row and column ({@code row * columns + column}): where the cell's bytes start, or UNSET / NULL. */
        private final int[] cellStarts;
        private final int[] cellLengths;

        private Index(byte[] block, int columns, int[] rowStarts, int[] cellStarts, int[] cellLengths) {
            this.block = block;
            this.columns = columns;
            this.rowStarts = rowStarts;
            this.cellStarts = cellStarts;
            this.cellLengths = cellLengths;
        }

        public byte[] block() {
            return block;
        }

        public int rowCount() {
            return rowStarts.length;
        }

        public int operationType(int row) {
            return block[rowStarts[row]] & 0xFF;
        }

        public boolean isSet(int row, int column) {
            return cellStarts[row * columns + column] != UNSET;
        }

        /** True for a set column whose cell is NULL. */
        public boolean isNull(int row, int column) {
            return cellStarts[row * columns + column] == NULL;
        }

        /** Where a set, non-NULL cell's bytes start in {@link #block()} (after the length of a STRING or BINARY). */
        public int cellStart(int row, int column) {
            return cellStarts[row * columns + column];
        }

        /** The byte length of a set, non-NULL cell: its type's width, or the length of a STRING or BINARY. */
        public int cellLength(int row, int column) {
            return cellLengths[row * columns + column];
        }

        /** An integer or TIMESTAMP cell, sign-extended from its width. */
        public long integer(int row, int column) {
            int at = cellStart(row, column);
            return switch (cellLength(row, column)) {
                case 1 -> block[at];
                case 2 -> (short) SHORT.get(block, at);
                case 4 -> (int) INT.get(block, at);
                default -> (long) LONG.get(block, at);
            };
        }

        /** The IEEE bits of a FLOAT cell (as sent: a NaN keeps its payload). */
        public int floatBits(int row, int column) {
            return (int) INT.get(block, cellStart(row, column));
        }

        /** The IEEE bits of a DOUBLE cell (as sent). */
        public long doubleBits(int row, int column) {
            return (long) LONG.get(block, cellStart(row, column));
        }
    }

    private static final class Reader {
        private final byte[] block;
        private final CellType[] types;
        private final List<String> names;
        private final int bitmapBytes;
        private int position;

        Reader(byte[] block, CellType[] types, List<String> names) {
            if (names.size() != types.length) {
                throw new IllegalArgumentException(names.size() + " column names for " + types.length + " types");
            }
            this.block = block;
            this.types = types;
            this.names = names;
            this.bitmapBytes = (types.length + 7) / 8;
        }

        List<Row> readAll(int maxRows) {
            int rows = readHeader(maxRows);
            List<Row> decoded = new ArrayList<>(rows);
            for (int i = 0; i < rows; i++) {
                decoded.add(readRow(i));
            }
            checkEnd(rows);
            return decoded;
        }

        Index indexAll(int maxRows) {
            int rows = readHeader(maxRows);
            int[] rowStarts = new int[rows];
            int[] cellStarts = new int[Math.multiplyExact(rows, types.length)];
            int[] cellLengths = new int[cellStarts.length];
            for (int i = 0; i < rows; i++) {
                rowStarts[i] = position;
                indexRow(i, cellStarts, cellLengths, i * types.length);
            }
            checkEnd(rows);
            return new Index(block, types.length, rowStarts, cellStarts, cellLengths);
        }

        /** Reads the header; returns the row count, checked against the limit and the bytes that follow. */
        private int readHeader(int maxRows) {
            if (block.length == 0) {
                throw malformed("the block is empty (it needs at least a header)");
            }
            if (block[0] != FORMAT) {
                throw malformed("format " + block[0] + " is not " + FORMAT + ", the only format this side reads");
            }
            position = 1;
            int columns = varint("the column count");
            if (columns != types.length) {
                throw malformed("the block has " + columns + " columns but the schema it names has " + types.length);
            }
            int rows = varint("the row count");
            if (rows > maxRows) {
                throw malformed(rows + " rows, over the limit of " + maxRows + " per write");
            }
            long smallestRow = 1 + 2L * bitmapBytes;
            if (rows * smallestRow > block.length - position) {
                throw malformed("the header says " + rows + " rows but only " + (block.length - position)
                        + " bytes follow (each row takes at least " + smallestRow + ")");
            }
            return rows;
        }

        private void checkEnd(int rows) {
            if (position != block.length) {
                throw malformed((block.length - position) + " bytes follow the last of " + rows + " rows");
            }
        }

        /** The structural half of {@link #readRow}: the same checks and messages, cells located, not built. */
        private void indexRow(int row, int[] cellStarts, int[] cellLengths, int base) {
            int setAt = readRowHead(row);
            int nullAt = setAt + bitmapBytes;
            for (int column = 0; column < types.length; column++) {
                int presence = presence(row, column, setAt, nullAt);
                if (presence != PRESENT) {
                    cellStarts[base + column] = presence == UNSET ? Index.UNSET : Index.NULL;
                    continue;
                }
                int width = cellWidth(row, column);
                cellStarts[base + column] = position;
                cellLengths[base + column] = width;
                position += width;
            }
        }

        /** Reads a row's type and bitmaps, checking them; returns where its set bitmap starts. */
        private int readRowHead(int row) {
            if (1 + 2 * bitmapBytes > block.length - position) {
                throw malformed("row " + row + " is truncated: " + (block.length - position)
                        + " bytes left, its type and bitmaps need " + (1 + 2 * bitmapBytes));
            }
            position++; // the operation type
            int setAt = position;
            position += 2 * bitmapBytes;
            checkPadding(row, setAt, "set");
            checkPadding(row, setAt + bitmapBytes, "NULL");
            return setAt;
        }

        /** The byte length of a set, non-NULL cell at the position (its length read first for variable ones). */
        private int cellWidth(int row, int column) {
            int width = types[column].fixedWidth();
            if (width < 0) {
                width = varint(row, column);
            }
            if (width > block.length - position) {
                throw malformed("row " + row + ": column '" + names.get(column) + "' needs " + width
                        + " bytes but " + (block.length - position) + " are left");
            }
            return width;
        }

        private Row readRow(int row) {
            int operationType = position < block.length ? block[position] & 0xFF : 0;
            int setAt = readRowHead(row);
            int nullAt = setAt + bitmapBytes;
            Object[] cells = new Object[types.length];
            boolean[] set = new boolean[types.length];
            String error = null;
            for (int column = 0; column < types.length; column++) {
                int presence = presence(row, column, setAt, nullAt);
                set[column] = presence != UNSET;
                if (presence != PRESENT) {
                    continue;
                }
                CellType type = types[column];
                int width = cellWidth(row, column);
                int at = position;
                position += width;
                switch (type) {
                    case INT8 -> cells[column] = (long) block[at];
                    case INT16 -> cells[column] = (long) (short) SHORT.get(block, at);
                    case INT32 -> cells[column] = (long) (int) INT.get(block, at);
                    case INT64, TIMESTAMP -> cells[column] = (long) LONG.get(block, at);
                    case FLOAT -> cells[column] = Float.intBitsToFloat((int) INT.get(block, at));
                    case DOUBLE -> cells[column] = Double.longBitsToDouble((long) LONG.get(block, at));
                    case BOOL -> {
                        if (block[at] != 0 && block[at] != 1) {
                            error = error != null ? error : "column '" + names.get(column) + "': BOOL byte "
                                    + block[at] + " is neither 0 nor 1";
                        }
                        cells[column] = block[at] == 1;
                    }
                    case STRING -> {
                        String text = utf8(at, width);
                        if (text == null) {
                            error = error != null ? error : "column '" + names.get(column) + "': not valid UTF-8";
                        }
                        cells[column] = text;
                    }
                    case BINARY -> cells[column] = Arrays.copyOfRange(block, at, at + width);
                }
            }
            return new Row(operationType, cells, set, error);
        }

        private static final int UNSET = 0;
        private static final int NULL = 1;
        private static final int PRESENT = 2;

        /** Whether a cell is unset, set to NULL or set to a value, by the row's bitmaps; NULL but unset is malformed. */
        private int presence(int row, int column, int setAt, int nullAt) {
            boolean isSet = bit(setAt, column);
            boolean isNull = bit(nullAt, column);
            if (!isSet && isNull) {
                throw malformed("row " + row + ": column '" + names.get(column) + "' is NULL but not set");
            }
            return !isSet ? UNSET : isNull ? NULL : PRESENT;
        }

        private boolean bit(int bitmapAt, int column) {
            return (block[bitmapAt + (column >>> 3)] & (1 << (column & 7))) != 0;
        }

        private void checkPadding(int row, int bitmapAt, String which) {
            int used = types.length & 7;
            if (used != 0 && (block[bitmapAt + bitmapBytes - 1] & (0xFF << used) & 0xFF) != 0) {
                throw malformed("row " + row + ": the " + which + " bitmap has bits past column " + (types.length - 1));
            }
        }

        /**
         * The string, or null when the bytes are not UTF-8. The lenient JDK decoder (vectorized for ASCII)
         * replaces bad input with U+FFFD, so only a string holding U+FFFD, rare, is decoded again strictly.
         */
        private String utf8(int at, int length) {
            String text = new String(block, at, length, StandardCharsets.UTF_8);
            if (text.indexOf('\uFFFD') < 0) {
                return text;
            }
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(block, at, length));
                return chars.toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }

        /** The length of a variable-length cell; the message names the cell, built only when it is broken. */
        private int varint(int row, int column) {
            long value = readVarint();
            return value >= 0 ? (int) value
                    : failVarint(value, "the length of row " + row + "'s column '" + names.get(column) + "'");
        }

        private int varint(String what) {
            long value = readVarint();
            return value >= 0 ? (int) value : failVarint(value, what);
        }

        private static final long ENDS_INSIDE = -1;
        private static final long OVER_2_31 = -2;
        private static final long TOO_LONG = -3;

        /** The next varint, or one of the negative codes above. */
        private long readVarint() {
            int value = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                if (position >= block.length) {
                    return ENDS_INSIDE;
                }
                byte b = block[position++];
                value |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return value < 0 || (shift == 28 && (b & 0x70) != 0) ? OVER_2_31 : value;
                }
            }
            return TOO_LONG;
        }

        private static int failVarint(long code, String what) {
            throw malformed(code == ENDS_INSIDE ? "the block ends inside " + what
                    : code == OVER_2_31 ? what + " is over 2^31" : what + " is a varint longer than 5 bytes");
        }

        private static MalformedRowsException malformed(String message) {
            return new MalformedRowsException("malformed packed rows: " + message);
        }
    }

    /**
     * Builds a block row by row. Cells as {@link Row} describes them (any {@code Number} for an integer,
     * {@code byte[]} or {@code ByteBuffer} for BINARY); a cell of the wrong Java type or out of its integer
     * type's range is an IllegalArgumentException naming the column, and nothing of that row is kept.
     */
    public static final class Writer {
        private final CellType[] types;
        private final List<String> names;
        private final int bitmapBytes;
        private byte[] body;
        private int length;
        private int rows;

        public Writer(List<CellType> types, List<String> names, int expectedBytes) {
            if (names.size() != types.size()) {
                throw new IllegalArgumentException(names.size() + " column names for " + types.size() + " types");
            }
            this.types = types.toArray(CellType[]::new);
            this.names = List.copyOf(names);
            this.bitmapBytes = (this.types.length + 7) / 8;
            this.body = new byte[Math.max(64, expectedBytes)];
        }

        public int rowCount() {
            return rows;
        }

        /** Appends one row; {@code set[i]} false leaves column i unset, a null cell of a set column is NULL. */
        public Writer add(int operationType, Object[] cells, boolean[] set) {
            if (cells.length != types.length || set.length != types.length) {
                throw new IllegalArgumentException("a row of " + cells.length + " cells for " + types.length + " columns");
            }
            if (operationType < 0 || operationType > 0xFF) {
                throw new IllegalArgumentException("operation type " + operationType + " does not fit a byte");
            }
            int start = length;
            try {
                ensure(1 + 2 * bitmapBytes);
                body[length++] = (byte) operationType;
                int setAt = length;
                int nullAt = length + bitmapBytes;
                Arrays.fill(body, setAt, nullAt + bitmapBytes, (byte) 0);
                length = nullAt + bitmapBytes;
                for (int column = 0; column < types.length; column++) {
                    if (!set[column]) {
                        continue;
                    }
                    body[setAt + (column >>> 3)] |= (byte) (1 << (column & 7));
                    if (cells[column] == null) {
                        body[nullAt + (column >>> 3)] |= (byte) (1 << (column & 7));
                        continue;
                    }
                    putCell(column, cells[column]);
                }
            } catch (RuntimeException e) {
                length = start;
                throw e;
            }
            rows++;
            return this;
        }

        /** The block: header and every row added so far. */
        public byte[] toByteArray() {
            byte[] header = new byte[11];
            int at = 0;
            header[at++] = FORMAT;
            at = Varints.put(header, at, types.length);
            at = Varints.put(header, at, rows);
            byte[] block = new byte[at + length];
            System.arraycopy(header, 0, block, 0, at);
            System.arraycopy(body, 0, block, at, length);
            return block;
        }

        private void putCell(int column, Object cell) {
            CellType type = types[column];
            switch (type) {
                case INT8, INT16, INT32, INT64, TIMESTAMP -> {
                    if (!(cell instanceof Number number) || cell instanceof Float || cell instanceof Double) {
                        throw wrongType(column, cell);
                    }
                    long value = number.longValue();
                    int width = type.fixedWidth();
                    if (width < 8 && (value < -(1L << (width * 8 - 1)) || value >= (1L << (width * 8 - 1)))) {
                        throw new IllegalArgumentException("value " + value + " is out of range for column '"
                                + names.get(column) + "' of type " + type);
                    }
                    ensure(width);
                    switch (width) {
                        case 1 -> body[length] = (byte) value;
                        case 2 -> SHORT.set(body, length, (short) value);
                        case 4 -> INT.set(body, length, (int) value);
                        default -> LONG.set(body, length, value);
                    }
                    length += width;
                }
                case BOOL -> {
                    if (!(cell instanceof Boolean value)) {
                        throw wrongType(column, cell);
                    }
                    ensure(1);
                    body[length++] = (byte) (value ? 1 : 0);
                }
                case FLOAT -> {
                    if (!(cell instanceof Float value)) {
                        throw wrongType(column, cell);
                    }
                    ensure(4);
                    INT.set(body, length, Float.floatToRawIntBits(value));
                    length += 4;
                }
                case DOUBLE -> {
                    if (!(cell instanceof Double value)) {
                        throw wrongType(column, cell);
                    }
                    ensure(8);
                    LONG.set(body, length, Double.doubleToRawLongBits(value));
                    length += 8;
                }
                case STRING -> {
                    if (!(cell instanceof String text)) {
                        throw wrongType(column, cell);
                    }
                    putBytes(text.getBytes(StandardCharsets.UTF_8));
                }
                case BINARY -> {
                    if (cell instanceof byte[] bytes) {
                        putBytes(bytes);
                    } else if (cell instanceof ByteBuffer buffer) {
                        ByteBuffer view = buffer.duplicate();
                        ensure(5 + view.remaining());
                        length = Varints.put(body, length, view.remaining());
                        int n = view.remaining();
                        view.get(body, length, n);
                        length += n;
                    } else {
                        throw wrongType(column, cell);
                    }
                }
            }
        }

        private void putBytes(byte[] bytes) {
            ensure(5 + bytes.length);
            length = Varints.put(body, length, bytes.length);
            System.arraycopy(bytes, 0, body, length, bytes.length);
            length += bytes.length;
        }

        private IllegalArgumentException wrongType(int column, Object cell) {
            return new IllegalArgumentException("column '" + names.get(column) + "' is " + types[column]
                    + " but the cell is a " + cell.getClass().getSimpleName());
        }

        private void ensure(int more) {
            if (length + more > body.length) {
                body = Arrays.copyOf(body, Math.max(body.length * 2, length + more));
            }
        }

    }
}
