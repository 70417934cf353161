package basalt.tablet;

import static basalt.proto.OperationType.DELETE;
import static basalt.proto.OperationType.INSERT;
import static basalt.proto.OperationType.INSERT_IGNORE;
import static basalt.proto.OperationType.OPERATION_TYPE_UNSPECIFIED;
import static basalt.proto.OperationType.UPDATE;
import static basalt.proto.OperationType.UPSERT;
import static basalt.tablet.TabletHarness.SCHEMA;
import static basalt.tablet.TabletHarness.UNSET;
import static basalt.tablet.TabletHarness.metadata;
import static basalt.tablet.TabletHarness.op;
import static basalt.tablet.TabletHarness.request;
import static basalt.tablet.TabletHarness.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.proto.Code;
import basalt.proto.ColumnValuePB;
import basalt.proto.RowErrorPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.ValuePB;
import basalt.proto.WriteResponsePB;
import basalt.tablet.TabletHarness.Replica;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Goal: each row operation's outcome and error, at validation and at apply, with exact messages. */
class TabletWriteTest {
    @TempDir
    Path dir;
    TabletStore store;
    Replica replica;

    @BeforeEach
    void open() throws Exception {
        store = TabletStore.open(dir);
        replica = new Replica(store, metadata("t1", SCHEMA));
    }

    @AfterEach
    void close() {
        store.close();
    }

    static List<String> errors(WriteResponsePB response) {
        return response.getRowErrorsList().stream()
                .map(e -> e.getRow() + " " + e.getError().getCode() + " " + e.getError().getMessage()).toList();
    }

    @Test
    void insertOfAnExistingKeyIsAlreadyPresentAndChangesNothing() {
        assertThat(errors(replica.write(op(INSERT, 1, "a", 1.5)))).isEmpty();
        assertThat(errors(replica.write(op(INSERT, 1, "b", UNSET))))
                .containsExactly("0 ALREADY_PRESENT row 0: key (1) already present");
        assertThat(rows(replica.scanAll())).containsExactly(List.of(1L, "a", 1.5));
    }

    @Test
    void insertLeavesUnsetColumnsNull() {
        replica.write(op(INSERT, 1, "a"));
        assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "a", null));
    }

    @Test
    void insertIgnoreOfAnExistingKeyIsNoErrorAndNoChange() {
        replica.write(op(INSERT, 1, "a", 1.0));
        assertThat(errors(replica.write(op(INSERT_IGNORE, 1, "b", 2.0), op(INSERT_IGNORE, 2, "c", 3.0)))).isEmpty();
        assertThat(rows(replica.scanAll())).containsExactly(List.of(1L, "a", 1.0), List.of(2L, "c", 3.0));
    }

    @Test
    void updateChangesOnlyTheColumnsItSetsAndNeedsTheKey() {
        replica.write(op(INSERT, 1, "a", 1.0));
        assertThat(errors(replica.write(op(UPDATE, 1, UNSET, 9.0), op(UPDATE, 2, "x")))).containsExactly(
                "1 NOT_FOUND row 1: key (2) not found");
        assertThat(rows(replica.scanAll())).containsExactly(List.of(1L, "a", 9.0));
        replica.write(op(UPDATE, 1, UNSET, null));
        assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "a", null));
    }

    @Test
    void compareAndSetChangesTheRowOnlyWhenTheExpectedValuesHold() {
        replica.write(op(INSERT, 1, "a", 1.0));
        RowOperationPB casFromA = cas(op(UPDATE, 1, "b"), TabletHarness.row(UNSET, "a"));
        assertThat(errors(replica.write(casFromA))).isEmpty();
        assertThat(rows(replica.scanAll())).containsExactly(List.of(1L, "b", 1.0));
        assertThat(errors(replica.write(casFromA))).containsExactly(
                "0 PRECONDITION_FAILED row 0: key (1): column 'name' is b, expected a");
        assertThat(rows(replica.scanAll())).as("a failed compare changes nothing").containsExactly(List.of(1L, "b", 1.0));
        // NULL is a value a compare can expect; a missing key is NOT_FOUND, as for any UPDATE.
        assertThat(errors(replica.write(cas(op(UPDATE, 1, UNSET, 2.0), TabletHarness.row(UNSET, UNSET, null)))))
                .containsExactly("0 PRECONDITION_FAILED row 0: key (1): column 'v' is 1.0, expected null");
        assertThat(errors(replica.write(cas(op(UPDATE, 2, "x"), TabletHarness.row(UNSET, "a")))))
                .containsExactly("0 NOT_FOUND row 0: key (2) not found");
    }

    @Test
    void compareAndSetsOfOneBatchSeeEachOther() {
        replica.write(op(INSERT, 1, "a"));
        WriteResponsePB response = replica.write(cas(op(UPDATE, 1, "b"), TabletHarness.row(UNSET, "a")),
                cas(op(UPDATE, 1, "c"), TabletHarness.row(UNSET, "a")), cas(op(UPDATE, 1, "c"), TabletHarness.row(UNSET, "b")));
        assertThat(errors(response)).containsExactly("1 PRECONDITION_FAILED row 1: key (1): column 'name' is b, expected a");
        assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "c", null));
    }

    @Test
    void anExpectedRowNeedsAnUpdateAndValuesOfTheColumnsTypes() {
        replica.write(op(INSERT, 1, "a"));
        assertThat(errors(replica.write(cas(op(UPSERT, 1, "b"), TabletHarness.row(UNSET, "a"))))).containsExactly(
                "0 INVALID_ARGUMENT row 0: an expected row (compare-and-set) needs UPDATE, not UPSERT");
        assertThat(errors(replica.write(cas(op(UPDATE, 1, "b"), TabletHarness.row(UNSET, 5L))))).singleElement()
                .asString().startsWith("0 INVALID_ARGUMENT row 0: expected row: column 'name'");
        assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "a", null));
    }

    private static RowOperationPB cas(RowOperationPB update, RowPB expected) {
        return update.toBuilder().setExpected(expected).build();
    }

    @Test
    void upsertInsertsOrUpdatesTheSetColumns() {
        replica.write(op(UPSERT, 1, "a", 1.0));
        replica.write(op(UPSERT, 1, "b"));
        assertThat(rows(replica.scanAll())).containsExactly(List.of(1L, "b", 1.0));
    }

    @Test
    void deleteOfAMissingKeyIsNotFoundAndADeletedKeyCanBeInsertedAgain() {
        replica.write(op(INSERT, 1, "a", 1.0));
        assertThat(errors(replica.write(op(DELETE, 1), op(DELETE, 1)))).containsExactly(
                "1 NOT_FOUND row 1: key (1) not found");
        assertThat(rows(replica.scanAll())).isEmpty();
        assertThat(errors(replica.write(op(UPDATE, 1, "z")))).containsExactly("0 NOT_FOUND row 0: key (1) not found");
        assertThat(errors(replica.write(op(INSERT, 1, "again")))).isEmpty();
        assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "again", null));
    }

    @Test
    void rowsOfOneBatchSeeEachOtherAndFailuresDoNotStopTheRest() {
        WriteResponsePB response = replica.write(op(INSERT, 1, "a"), op(UPDATE, 1, UNSET, 2.0), op(INSERT, 1, "dup"),
                op(INSERT, 2, "b"), op(DELETE, 2), op(UPDATE, 2, "gone"));
        assertThat(errors(response)).containsExactly("2 ALREADY_PRESENT row 2: key (1) already present",
                "5 NOT_FOUND row 5: key (2) not found");
        assertThat(response.getTimestamp()).isPositive();
        assertThat(rows(replica.scanAll())).containsExactly(List.of(1L, "a", 2.0));
    }

    record BadRow(String rule, RowOperationPB operation, String message) {
        @Override
        public String toString() {
            return rule;
        }
    }

    static RowOperationPB withValues(basalt.proto.OperationType type, ColumnValuePB... values) {
        return RowOperationPB.newBuilder().setType(type)
                .setRow(RowPB.newBuilder().addAllValues(List.of(values))).build();
    }

    static ColumnValuePB cell(int column, ValuePB value) {
        return ColumnValuePB.newBuilder().setColumn(column).setValue(value).build();
    }

    static Stream<BadRow> badRows() {
        return Stream.of(
                new BadRow("wrong type", op(INSERT, 1, 5), "row 1: column 'name': expected a STRING value but got an integer"),
                new BadRow("missing key", op(INSERT, UNSET, "a"), "row 1: key column 'id' is missing"),
                new BadRow("null key", op(INSERT, null, "a"), "row 1: key column 'id' is missing"),
                new BadRow("null in a NOT NULL column", op(UPDATE, 1, null), "row 1: column 'name' is NOT NULL but gets no value"),
                new BadRow("NOT NULL column unset by an insert", op(INSERT, 1, UNSET, 1.0),
                        "row 1: column 'name' is NOT NULL but gets no value"),
                new BadRow("unknown column index", withValues(INSERT, cell(0, TabletHarness.value(1)),
                        cell(7, TabletHarness.value("x"))), "row 1: unknown column index 7 (the schema has 3 columns)"),
                new BadRow("column twice", withValues(INSERT, cell(0, TabletHarness.value(1)),
                        cell(0, TabletHarness.value(2))), "row 1: column 'id' is set twice"),
                new BadRow("cell over the limit", op(INSERT, 1, "x".repeat(65 * 1024)),
                        "row 1: column 'name' is 66560 bytes, over the cell limit of 65536 bytes"),
                new BadRow("no operation type", op(OPERATION_TYPE_UNSPECIFIED, 1, "a"), "row 1: unknown operation type"),
                new BadRow("delete with a non-key column", op(DELETE, 1, "a"), "row 1: DELETE sets non-key column 'name'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRows")
    void invalidRowIsRefusedBeforeReplicationAndTheRestApplies(BadRow bad) {
        WriteResponsePB response = replica.write(op(INSERT, 100, "ok"), bad.operation(), op(INSERT, 101, "ok"));
        assertThat(response.getRowErrorsList()).containsExactly(RowErrorPB.newBuilder().setRow(1)
                .setError(TabletException.error(Code.INVALID_ARGUMENT, bad.message())).build());
        assertThat(rows(replica.scanAll())).extracting(row -> row.get(0)).containsExactly(100L, 101L);
    }

    @Test
    void writeWithOnlyInvalidRowsNeedsNoReplication() {
        PreparedWrite prepared = replica.tablet.prepareWrite(request("t1", op(INSERT, UNSET, "a")));
        assertThat(prepared.needsReplication()).isFalse();
        assertThat(prepared.responseWithoutReplication().getRowErrorsCount()).isEqualTo(1);
        assertThat(replica.tablet.safeTime()).isPositive();
    }

    @Test
    void malformedRequestIsRefusedWhole() throws Exception {
        assertThatThrownBy(() -> replica.tablet.prepareWrite(request("t2", op(INSERT, 1, "a"))))
                .hasMessage("write for tablet 't2' sent to tablet 't1'");
        try (TabletStore small = TabletStore.open(dir.resolve("small"))) {
            Tablet tablet = small.createTablet(metadata("s", SCHEMA), replica.clock, new TabletOptions(8, 2, 10));
            assertThatThrownBy(() -> tablet.prepareWrite(request("s", op(INSERT, 1, "a"), op(INSERT, 2, "b"),
                    op(INSERT, 3, "c")))).isInstanceOfSatisfying(TabletException.class,
                            e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT))
                    .hasMessage("write has 3 operations, over the limit of 2");
            assertThat(tablet.prepareWrite(request("s", op(INSERT, 1, "123456789"))).rowErrors())
                    .extracting(e -> e.getError().getMessage())
                    .containsExactly("row 0: column 'name' is 9 bytes, over the cell limit of 8 bytes");
        }
    }

    @Test
    void narrowIntegerOutOfRangeIsRefused() throws Exception {
        Tablet tablet = store.createTablet(metadata("n", Schema.parse("k INT8 KEY")), replica.clock, TabletOptions.DEFAULT);
        assertThat(tablet.prepareWrite(request("n", op(INSERT, 128))).rowErrors()).extracting(e -> e.getError().getMessage())
                .containsExactly("row 0: column 'k': value 128 is out of range for INT8");
    }
}
