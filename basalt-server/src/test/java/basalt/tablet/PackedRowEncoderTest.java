package basalt.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.row.CellType;
import basalt.common.row.PackedRows;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.OperationType;
import basalt.proto.SchemaPB;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Goal: a packed row's stored key and stored value, built from the block's bytes, are byte for byte what
 * encoding its decoded cells gives (KeyEncoder, RowCodec), for any schema and any valid row: apply may take
 * either path, and replicas, checksums and old data must not be able to tell.
 */
class PackedRowEncoderTest {
    private static final DataType[] TYPES = {DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64,
            DataType.TIMESTAMP, DataType.BOOL, DataType.FLOAT, DataType.DOUBLE, DataType.STRING, DataType.BINARY};

    /** A schema and a block of rows valid for it (every key column set, not NULL). */
    record Case(Schema schema, byte[] block) {}

    @Property(tries = 400)
    void keysAndNewRowValuesFromTheBlockEqualTheObjectPath(@ForAll("cases") Case c) {
        Schema schema = c.schema();
        PackedRows.Index index = PackedRows.index(c.block(), schema.cellTypes(),
                schema.columnNames(), Integer.MAX_VALUE);
        PackedRowEncoder encoder = new PackedRowEncoder(schema);

        for (int row = 0; row < index.rowCount(); row++) {
            WriteValidator.Row decoded = WriteValidator.decodePackedRow(schema, index, row);
            assertThat(encoder.key(index, row)).as("key of row %s", row)
                    .isEqualTo(KeyEncoder.encodeKey(schema, decoded.cells()));
            assertThat(encoder.newRowValue(index, row)).as("value of row %s", row)
                    .isEqualTo(RowCodec.encode(schema, decoded.cells()));
        }
    }

    @Test
    void nanPayloadsNegativeZeroAndZeroBytesEncodeAsTheObjectPathDoes() {
        Schema schema = schema(List.of(DataType.FLOAT, DataType.DOUBLE, DataType.STRING, DataType.BINARY),
                List.of(3, 7, 1, 200), 3);
        Object[] cells = {Float.intBitsToFloat(0x7fc00001), -0.0, "a\u0000b", new byte[] {0, 0, 1}};
        byte[] block = new PackedRows.Writer(schema.cellTypes(), schema.columnNames(), 64)
                .add(OperationType.INSERT.getNumber(), cells, new boolean[] {true, true, true, true}).toByteArray();
        PackedRows.Index index = PackedRows.index(block, schema.cellTypes(),
                schema.columnNames(), 10);
        WriteValidator.Row decoded = WriteValidator.decodePackedRow(schema, index, 0);
        PackedRowEncoder encoder = new PackedRowEncoder(schema);

        assertThat(encoder.key(index, 0)).isEqualTo(KeyEncoder.encodeKey(schema, decoded.cells()));
        assertThat(encoder.newRowValue(index, 0)).isEqualTo(RowCodec.encode(schema, decoded.cells()));
    }

    // ---- generators ----

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<List<DataType>> types = Arbitraries.of(TYPES).list().ofMinSize(1).ofMaxSize(12);
        return types.flatMap(columnTypes -> {
            Arbitrary<List<Integer>> ids = Arbitraries.integers().between(1, 1 << 20).list()
                    .ofSize(columnTypes.size()).uniqueElements();
            Arbitrary<Integer> keyCount = Arbitraries.integers().between(1, columnTypes.size());
            return Combinators.combine(ids, keyCount).as((columnIds, keys) -> schema(columnTypes, columnIds, keys))
                    .flatMap(schema -> rows(schema).list().ofMinSize(1).ofMaxSize(8).map(rows -> {
                        PackedRows.Writer writer = new PackedRows.Writer(schema.cellTypes(),
                                schema.columnNames(), 64);
                        for (Object[] row : rows) {
                            boolean[] set = (boolean[]) row[1];
                            writer.add(OperationType.UPSERT.getNumber(), (Object[]) row[0], set);
                        }
                        return new Case(schema, writer.toByteArray());
                    }));
        });
    }

    /** Cells and which columns are set: key columns always set and non-NULL, others anything. */
    private static Arbitrary<Object[]> rows(Schema schema) {
        List<Arbitrary<Object>> cells = new ArrayList<>();
        List<Arbitrary<Boolean>> set = new ArrayList<>();
        for (int i = 0; i < schema.columnCount(); i++) {
            boolean key = i < schema.keyColumnCount();
            Arbitrary<Object> value = cell(CellType.named(schema.column(i).type().name()));
            cells.add(key ? value : value.injectNull(0.2));
            set.add(key ? Arbitraries.just(true) : Arbitraries.of(true, false));
        }
        return Combinators.combine(Combinators.combine(cells).as(List::toArray),
                Combinators.combine(set).as(flags -> {
                    boolean[] array = new boolean[flags.size()];
                    for (int i = 0; i < array.length; i++) {
                        array[i] = flags.get(i);
                    }
                    return array;
                })).as((c, s) -> new Object[] {c, s});
    }

    private static Arbitrary<Object> cell(CellType type) {
        return switch (type) {
            case INT8 -> Arbitraries.longs().between(Byte.MIN_VALUE, Byte.MAX_VALUE).map(v -> v);
            case INT16 -> Arbitraries.longs().between(Short.MIN_VALUE, Short.MAX_VALUE).map(v -> v);
            case INT32 -> Arbitraries.longs().between(Integer.MIN_VALUE, Integer.MAX_VALUE).map(v -> v);
            case INT64, TIMESTAMP -> Arbitraries.longs().map(v -> v);
            case BOOL -> Arbitraries.of(false, true).map(v -> v);
            // Raw bits, so NaNs with payloads come too (the stored form makes every NaN the canonical one).
            case FLOAT -> Arbitraries.integers().map(bits -> (Object) Float.intBitsToFloat(bits));
            case DOUBLE -> Arbitraries.longs().map(bits -> (Object) Double.longBitsToDouble(bits));
            case STRING -> Arbitraries.integers().between(0, 0x10FFFF).filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                    .list().ofMaxSize(30).map(cps -> {
                        StringBuilder text = new StringBuilder();
                        cps.forEach(text::appendCodePoint);
                        return (Object) text.toString();
                    });
            case BINARY -> Arbitraries.bytes().array(byte[].class).ofMaxSize(200).map(v -> v);
        };
    }

    private static Schema schema(List<DataType> types, List<Integer> ids, int keyCount) {
        SchemaPB.Builder pb = SchemaPB.newBuilder().setVersion(0);
        for (int i = 0; i < types.size(); i++) {
            pb.addColumns(ColumnSchemaPB.newBuilder().setId(ids.get(i)).setName("c" + i).setType(types.get(i))
                    .setKey(i < keyCount).setNullable(i >= keyCount));
        }
        return Schema.fromPB(pb.build());
    }
}
