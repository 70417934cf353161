package basalt.client;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.client.ColumnPredicate.ComparisonOp;
import basalt.proto.ColumnValuePB;
import basalt.proto.DataType;
import basalt.proto.PredicatePB;
import basalt.proto.RowPB;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The key range sent with a scan: only as narrow as the predicates on leading key columns allow. */
class KeyBoundsTest {
    static final Schema SCHEMA = new Schema(List.of(ColumnSchema.key("region", DataType.STRING),
            ColumnSchema.key("id", DataType.INT64), ColumnSchema.nullable("v", DataType.STRING)));

    @Test
    void aWholeKeyIsReadFromItselfUpToItsSuccessor() {
        KeyBounds.Bounds bounds = KeyBounds.of(SCHEMA, predicates(
                ColumnPredicate.comparison("region", ComparisonOp.EQUAL, "eu"),
                ColumnPredicate.comparison("id", ComparisonOp.EQUAL, 7L)));
        assertThat(bounds.lower()).contains(row(string(0, "eu"), integer(1, 7)));
        assertThat(bounds.upper()).contains(row(string(0, "eu"), integer(1, 8)));
    }

    @Test
    void aFixedPrefixThenARangeStartsAtBothAndEndsAfterThePrefix() {
        KeyBounds.Bounds bounds = KeyBounds.of(SCHEMA, predicates(
                ColumnPredicate.comparison("region", ComparisonOp.EQUAL, "eu"),
                ColumnPredicate.comparison("id", ComparisonOp.GREATER, 100L)));
        assertThat(bounds.lower()).contains(row(string(0, "eu"), integer(1, 100)));
        // "eu" followed by a 0 byte is the smallest string after "eu": every row of region "eu" is below it.
        assertThat(bounds.upper()).contains(row(string(0, "eu\u0000")));
    }

    @Test
    void aRangeOnTheFirstKeyColumnHasOnlyALowerBound() {
        KeyBounds.Bounds bounds = KeyBounds.of(SCHEMA, predicates(
                ColumnPredicate.comparison("region", ComparisonOp.GREATER_EQUAL, "m")));
        assertThat(bounds.lower()).contains(row(string(0, "m")));
        assertThat(bounds.upper()).isEmpty();
    }

    @Test
    void predicatesOffTheKeyPrefixGiveNoBounds() {
        assertThat(KeyBounds.of(SCHEMA, predicates(ColumnPredicate.comparison("id", ComparisonOp.EQUAL, 7L),
                ColumnPredicate.comparison("v", ComparisonOp.EQUAL, "x"))))
                .isEqualTo(new KeyBounds.Bounds(Optional.empty(), Optional.empty()));
        assertThat(KeyBounds.of(SCHEMA, List.of())).isEqualTo(new KeyBounds.Bounds(Optional.empty(), Optional.empty()));
    }

    @Test
    void theLargestValueHasNoSuccessorSoNoUpperBound() {
        Schema byId = new Schema(List.of(ColumnSchema.key("id", DataType.INT8)));
        KeyBounds.Bounds bounds = KeyBounds.of(byId, List.of(
                ColumnPredicate.comparison("id", ComparisonOp.EQUAL, 127).toPB(byId)));
        assertThat(bounds.lower()).contains(row(integer(0, 127)));
        assertThat(bounds.upper()).isEmpty();
    }

    private static List<PredicatePB> predicates(ColumnPredicate... predicates) {
        return Arrays.stream(predicates).map(p -> p.toPB(SCHEMA)).toList();
    }

    private static RowPB row(ColumnValuePB... values) {
        return RowPB.newBuilder().addAllValues(List.of(values)).build();
    }

    private static ColumnValuePB string(int column, String value) {
        return ColumnValuePB.newBuilder().setColumn(column).setValue(Cells.toPB(DataType.STRING, value)).build();
    }

    private static ColumnValuePB integer(int column, long value) {
        return ColumnValuePB.newBuilder().setColumn(column).setValue(Cells.toPB(DataType.INT64, value)).build();
    }
}
