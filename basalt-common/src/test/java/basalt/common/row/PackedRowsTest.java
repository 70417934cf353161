package basalt.common.row;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PackedRowsTest {
    private static final List<CellType> KV = List.of(CellType.INT64, CellType.STRING);
    private static final List<String> KV_NAMES = List.of("id", "v");

    /** A schema and rows for it, as the writer takes them. */
    record Batch(List<CellType> types, List<Object[]> cells, List<boolean[]> set, List<Integer> operations) {
        List<String> names() {
            return IntStream.range(0, types.size()).mapToObj(i -> "c" + i).toList();
        }

        byte[] encode() {
            PackedRows.Writer writer = new PackedRows.Writer(types, names(), 16);
            for (int i = 0; i < cells.size(); i++) {
                writer.add(operations.get(i), cells.get(i), set.get(i));
            }
            return writer.toByteArray();
        }
    }

    @Property(tries = 300)
    void every_row_decodes_to_what_was_written(@ForAll("batches") Batch batch) {
        List<PackedRows.Row> rows = PackedRows.decode(batch.encode(), batch.types(), batch.names(), 1000);

        assertThat(rows).hasSize(batch.cells().size());
        for (int i = 0; i < rows.size(); i++) {
            PackedRows.Row row = rows.get(i);
            assertThat(row.error()).isNull();
            assertThat(row.operationType()).isEqualTo(batch.operations().get(i));
            assertThat(row.set()).isEqualTo(batch.set().get(i));
            for (int column = 0; column < batch.types().size(); column++) {
                Object expected = batch.set().get(i)[column] ? batch.cells().get(i)[column] : null;
                assertThat(comparable(row.cells()[column])).as("row %s column %s", i, column)
                        .isEqualTo(comparable(expected));
            }
        }
    }

    @Property(tries = 300)
    void the_index_locates_every_cell_the_decoder_reads(@ForAll("batches") Batch batch) {
        byte[] block = batch.encode();
        List<PackedRows.Row> rows = PackedRows.decode(block, batch.types(), batch.names(), 1000);
        PackedRows.Index index = PackedRows.index(block, batch.types(), batch.names(), 1000);

        assertThat(index.rowCount()).isEqualTo(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            PackedRows.Row row = rows.get(i);
            assertThat(index.operationType(i)).isEqualTo(row.operationType());
            assertThat(comparableRow(PackedRows.decodeRow(index, batch.types(), batch.names(), i)))
                    .isEqualTo(comparableRow(row));
            for (int column = 0; column < batch.types().size(); column++) {
                assertThat(index.isSet(i, column)).isEqualTo(row.set()[column]);
                assertThat(index.isNull(i, column)).isEqualTo(row.set()[column] && row.cells()[column] == null);
                if (row.cells()[column] == null) {
                    continue;
                }
                Object cell = row.cells()[column];
                Object fromIndex = switch (batch.types().get(column)) {
                    case INT8, INT16, INT32, INT64, TIMESTAMP -> index.integer(i, column);
                    case FLOAT -> Float.intBitsToFloat(index.floatBits(i, column));
                    case DOUBLE -> Double.longBitsToDouble(index.doubleBits(i, column));
                    case BOOL -> index.block()[index.cellStart(i, column)] == 1;
                    case STRING -> new String(index.block(), index.cellStart(i, column), index.cellLength(i, column),
                            StandardCharsets.UTF_8);
                    case BINARY -> Arrays.copyOfRange(index.block(), index.cellStart(i, column),
                            index.cellStart(i, column) + index.cellLength(i, column));
                };
                assertThat(comparable(fromIndex)).as("row %s column %s", i, column).isEqualTo(comparable(cell));
            }
        }
    }

    @Property(tries = 300)
    void the_index_refuses_exactly_the_blocks_the_decoder_refuses(@ForAll("batches") Batch batch,
                                                                  @ForAll @IntRange(min = 0, max = 1 << 20) int where,
                                                                  @ForAll byte value, @ForAll boolean truncate) {
        byte[] block = batch.encode();
        byte[] broken = truncate ? Arrays.copyOf(block, where % block.length) : block.clone();
        if (!truncate) {
            broken[where % broken.length] = value;
        }
        String decodeRefusal = refusal(() -> PackedRows.decode(broken, batch.types(), batch.names(), 1000));
        String indexRefusal = refusal(() -> PackedRows.index(broken, batch.types(), batch.names(), 1000));

        assertThat(indexRefusal).isEqualTo(decodeRefusal);
    }

    private static String refusal(Runnable read) {
        try {
            read.run();
            return null;
        } catch (MalformedRowsException e) {
            return e.getMessage();
        }
    }

    private static List<Object> comparableRow(PackedRows.Row row) {
        return List.of(row.operationType(), Arrays.toString(row.set()), String.valueOf(row.error()),
                Arrays.stream(row.cells()).map(PackedRowsTest::comparable).map(String::valueOf).toList());
    }

    @Property(tries = 200)
    void any_truncation_is_a_malformed_block_not_a_crash(@ForAll("batches") Batch batch, @ForAll @IntRange(min = 1, max = 10_000) int cut) {
        byte[] block = batch.encode();
        byte[] truncated = Arrays.copyOf(block, Math.max(0, block.length - cut));

        assertThatThrownBy(() -> PackedRows.decode(truncated, batch.types(), batch.names(), 1000))
                .isInstanceOf(MalformedRowsException.class).hasMessageStartingWith("malformed packed rows: ");
    }

    @Property(tries = 300)
    void corrupted_bytes_decode_or_are_refused_as_malformed(@ForAll("batches") Batch batch,
                                                            @ForAll @IntRange(min = 0, max = 1 << 20) int where,
                                                            @ForAll byte value) {
        byte[] block = batch.encode();
        block[where % block.length] = value;
        try {
            List<PackedRows.Row> rows = PackedRows.decode(block, batch.types(), batch.names(), 1000);
            assertThat(rows).hasSizeLessThanOrEqualTo(1000);
        } catch (MalformedRowsException expected) {
            assertThat(expected).hasMessageStartingWith("malformed packed rows: ");
        }
    }

    @Test
    void a_length_past_the_end_names_the_row_and_column() {
        byte[] block = new PackedRows.Writer(KV, KV_NAMES, 16).add(1, new Object[] {7L, "hello"}, new boolean[] {true, true})
                .toByteArray();
        // header (3 bytes), type, 2 bitmaps, 8-byte id, then the length of v: claim 100 bytes instead of 5.
        block[3 + 3 + 8] = 100;

        assertThatThrownBy(() -> PackedRows.decode(block, KV, KV_NAMES, 10)).isInstanceOf(MalformedRowsException.class)
                .hasMessage("malformed packed rows: row 0: column 'v' needs 100 bytes but 5 are left");
    }

    @Test
    void a_header_that_promises_more_rows_than_the_bytes_hold_is_refused_before_decoding() {
        byte[] block = {PackedRows.FORMAT, 2, (byte) 0xFF, (byte) 0xFF, 0x7F, 1, 3, 0};

        assertThatThrownBy(() -> PackedRows.decode(block, KV, KV_NAMES, Integer.MAX_VALUE))
                .isInstanceOf(MalformedRowsException.class).hasMessageContaining("says 2097151 rows but only 3 bytes follow");
    }

    @Test
    void more_rows_than_the_limit_are_refused_whole() {
        PackedRows.Writer writer = new PackedRows.Writer(KV, KV_NAMES, 16);
        for (long id = 0; id < 5; id++) {
            writer.add(1, new Object[] {id, "x"}, new boolean[] {true, true});
        }

        assertThatThrownBy(() -> PackedRows.decode(writer.toByteArray(), KV, KV_NAMES, 4))
                .hasMessage("malformed packed rows: 5 rows, over the limit of 4 per write");
    }

    @Test
    void a_block_for_another_column_count_is_refused() {
        byte[] block = new PackedRows.Writer(KV, KV_NAMES, 16).add(1, new Object[] {7L, "x"}, new boolean[] {true, true})
                .toByteArray();

        assertThatThrownBy(() -> PackedRows.decode(block, List.of(CellType.INT64), List.of("id"), 10))
                .hasMessage("malformed packed rows: the block has 2 columns but the schema it names has 1");
    }

    @Test
    void trailing_bytes_and_unknown_formats_are_refused() {
        byte[] block = new PackedRows.Writer(KV, KV_NAMES, 16).add(1, new Object[] {7L, "x"}, new boolean[] {true, true})
                .toByteArray();
        byte[] longer = Arrays.copyOf(block, block.length + 2);
        byte[] otherFormat = block.clone();
        otherFormat[0] = 9;

        assertThatThrownBy(() -> PackedRows.decode(longer, KV, KV_NAMES, 10))
                .hasMessage("malformed packed rows: 2 bytes follow the last of 1 rows");
        assertThatThrownBy(() -> PackedRows.decode(otherFormat, KV, KV_NAMES, 10))
                .hasMessageContaining("format 9 is not 1");
        assertThatThrownBy(() -> PackedRows.decode(new byte[0], KV, KV_NAMES, 10)).hasMessageContaining("empty");
    }

    @Test
    void a_null_bit_on_an_unset_column_or_a_bit_past_the_last_column_is_malformed() {
        byte[] block = new PackedRows.Writer(KV, KV_NAMES, 16).add(4, new Object[] {7L, null}, new boolean[] {true, false})
                .toByteArray();
        byte[] nullButUnset = block.clone();
        nullButUnset[3 + 2] = 0b10;
        byte[] pastTheEnd = block.clone();
        pastTheEnd[3 + 1] |= 0b100;

        assertThatThrownBy(() -> PackedRows.decode(nullButUnset, KV, KV_NAMES, 10))
                .hasMessage("malformed packed rows: row 0: column 'v' is NULL but not set");
        assertThatThrownBy(() -> PackedRows.decode(pastTheEnd, KV, KV_NAMES, 10))
                .hasMessage("malformed packed rows: row 0: the set bitmap has bits past column 1");
    }

    @Test
    void bad_utf8_or_a_bad_bool_spoils_only_its_row() {
        List<CellType> types = List.of(CellType.INT64, CellType.STRING, CellType.BOOL);
        List<String> names = List.of("id", "s", "b");
        boolean[] all = {true, true, true};
        byte[] block = new PackedRows.Writer(types, names, 16).add(1, new Object[] {1L, "é", true}, all)
                .add(1, new Object[] {2L, "\uFFFD is fine", false}, all).add(1, new Object[] {3L, "ok", true}, all).toByteArray();
        // Row 0: id (8), length 2, 0xC3 0xA9 ("é"); make it 0xC3 0x28, not UTF-8. Row 2's BOOL is its last byte.
        int firstString = 3 + 3 + 8 + 1;
        block[firstString + 1] = 0x28;
        block[block.length - 1] = 7;

        List<PackedRows.Row> rows = PackedRows.decode(block, types, names, 10);

        assertThat(rows).extracting(PackedRows.Row::error)
                .containsExactly("column 's': not valid UTF-8", null, "column 'b': BOOL byte 7 is neither 0 nor 1");
        assertThat(rows.get(1).cells()).as("a real U+FFFD is no decoding error").containsExactly(2L, "\uFFFD is fine", false);
    }

    @Test
    void the_writer_refuses_a_cell_of_the_wrong_type_or_range_and_keeps_the_rows_before_it() {
        List<CellType> types = List.of(CellType.INT8, CellType.STRING);
        List<String> names = List.of("small", "s");
        PackedRows.Writer writer = new PackedRows.Writer(types, names, 16).add(1, new Object[] {5L, "a"}, new boolean[] {true, true});

        assertThatThrownBy(() -> writer.add(1, new Object[] {300L, "b"}, new boolean[] {true, true}))
                .hasMessage("value 300 is out of range for column 'small' of type INT8");
        assertThatThrownBy(() -> writer.add(1, new Object[] {1L, 42}, new boolean[] {true, true}))
                .hasMessage("column 's' is STRING but the cell is a Integer");
        assertThat(PackedRows.decode(writer.toByteArray(), types, names, 10)).singleElement()
                .satisfies(row -> assertThat(row.cells()).containsExactly(5L, "a"));
    }

    @Test
    void binary_cells_may_come_as_a_byte_buffer() {
        List<CellType> types = List.of(CellType.INT32, CellType.BINARY);
        List<String> names = List.of("k", "b");
        byte[] block = new PackedRows.Writer(types, names, 16)
                .add(2, new Object[] {-1, ByteBuffer.wrap(new byte[] {9, 0, 8}, 1, 2)}, new boolean[] {true, true}).toByteArray();

        PackedRows.Row row = PackedRows.decode(block, types, names, 10).get(0);

        assertThat(row.cells()[0]).isEqualTo(-1L);
        assertThat((byte[]) row.cells()[1]).containsExactly(0, 8);
    }

    // ---- generators ----

    @Provide
    Arbitrary<Batch> batches() {
        return Arbitraries.of(CellType.values()).list().ofMinSize(1).ofMaxSize(19).flatMap(types -> {
            Arbitrary<Object[]> cells = Combinators.combine(types.stream().map(PackedRowsTest::cell).toList())
                    .as(List::toArray);
            Arbitrary<boolean[]> set = Arbitraries.of(false, true).list().ofSize(types.size()).map(PackedRowsTest::toArray);
            Arbitrary<Integer> operation = Arbitraries.integers().between(0, 255);
            return Combinators.combine(cells, set, operation).as((c, s, o) -> List.<Object>of(c, s, o)).list().ofMaxSize(12).map(rows -> {
                List<Object[]> allCells = new ArrayList<>();
                List<boolean[]> allSet = new ArrayList<>();
                List<Integer> operations = new ArrayList<>();
                for (List<Object> row : rows) {
                    allCells.add((Object[]) row.get(0));
                    allSet.add((boolean[]) row.get(1));
                    operations.add((Integer) row.get(2));
                }
                return new Batch(types, allCells, allSet, operations);
            });
        });
    }

    private static Arbitrary<Object> cell(CellType type) {
        Arbitrary<Object> value = switch (type) {
            case INT8 -> Arbitraries.longs().between(Byte.MIN_VALUE, Byte.MAX_VALUE).map(v -> v);
            case INT16 -> Arbitraries.longs().between(Short.MIN_VALUE, Short.MAX_VALUE).map(v -> v);
            case INT32 -> Arbitraries.longs().between(Integer.MIN_VALUE, Integer.MAX_VALUE).map(v -> v);
            case INT64, TIMESTAMP -> Arbitraries.longs().map(v -> v);
            case BOOL -> Arbitraries.of(false, true).map(v -> v);
            case FLOAT -> Arbitraries.floats().map(v -> v);
            case DOUBLE -> Arbitraries.doubles().map(v -> v);
            // Valid code points only: a lone surrogate has no UTF-8 form to round-trip.
            case STRING -> Arbitraries.integers().between(0, 0x10FFFF).filter(cp -> cp < 0xD800 || cp > 0xDFFF)
                    .list().ofMaxSize(40).map(cps -> {
                        StringBuilder text = new StringBuilder();
                        cps.forEach(text::appendCodePoint);
                        return (Object) text.toString();
                    });
            case BINARY -> Arbitraries.bytes().array(byte[].class).ofMaxSize(300).map(v -> v);
        };
        return value.injectNull(0.2);
    }

    private static boolean[] toArray(List<Boolean> flags) {
        boolean[] array = new boolean[flags.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = flags.get(i);
        }
        return array;
    }

    private static Object comparable(Object cell) {
        return cell instanceof byte[] bytes ? new String(bytes, StandardCharsets.ISO_8859_1) + "#bin" : cell;
    }
}
