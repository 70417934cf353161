package basalt.tablet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.proto.Code;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.SchemaPB;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Goal: a bad schema is refused with a message naming the column and the rule; good ones round-trip. */
class SchemaTest {
    record Case(String rule, SchemaPB schema, String message) {
        @Override
        public String toString() {
            return rule;
        }
    }

    static ColumnSchemaPB column(String name, DataType type, boolean key, boolean nullable) {
        return ColumnSchemaPB.newBuilder().setName(name).setType(type).setKey(key).setNullable(nullable).build();
    }

    static SchemaPB schema(ColumnSchemaPB... columns) {
        return SchemaPB.newBuilder().addAllColumns(java.util.List.of(columns)).build();
    }

    static Stream<Case> invalidSchemas() {
        return Stream.of(
                new Case("no columns", schema(), "schema has no columns"),
                new Case("duplicate names", schema(column("id", DataType.INT64, true, false),
                        column("id", DataType.STRING, false, true)), "duplicate column name 'id'"),
                new Case("no key", schema(column("v", DataType.INT64, false, true)), "schema has no key column"),
                new Case("nullable key", schema(column("id", DataType.INT64, true, true)),
                        "key column 'id' must not be nullable"),
                new Case("key after non-key", schema(column("a", DataType.INT64, true, false),
                        column("b", DataType.STRING, false, true), column("c", DataType.INT32, true, false)),
                        "key column 'c' comes after non-key column 'b'; key columns must come first"),
                new Case("unknown type", schema(column("id", DataType.DATA_TYPE_UNSPECIFIED, true, false)),
                        "column 'id' has an unknown type"),
                new Case("empty name", schema(column("", DataType.INT64, true, false)), "column 0 has an empty name"),
                new Case("shared id", schema(withId(column("id", DataType.INT64, true, false), 3),
                        withId(column("v", DataType.INT64, false, true), 3)), "columns 'id' and 'v' share the id 3"),
                new Case("some ids unset", schema(withId(column("id", DataType.INT64, true, false), 1),
                        column("v", DataType.INT64, false, true)),
                        "column 'v' has id 0; ids are 1..1048576 (or all 0 to number them by position)"),
                new Case("id out of range", schema(withId(column("id", DataType.INT64, true, false), -2)),
                        "column 'id' has id -2; ids are 1..1048576 (or all 0 to number them by position)"),
                new Case("negative version", schema(column("id", DataType.INT64, true, false)).toBuilder()
                        .setVersion(-1).build(), "schema version -1 is negative"));
    }

    static ColumnSchemaPB withId(ColumnSchemaPB column, int id) {
        return column.toBuilder().setId(id).build();
    }

    @Test
    void unsetIdsAreNumberedByPositionAndSetOnesAreKept() {
        Schema positional = Schema.fromPB(schema(column("id", DataType.INT64, true, false),
                column("v", DataType.STRING, false, true)));
        assertThat(positional.columns()).extracting(ColumnSchema::id).containsExactly(1, 2);
        Schema evolved = Schema.fromPB(schema(withId(column("id", DataType.INT64, true, false), 1),
                withId(column("w", DataType.STRING, false, true), 9)));
        assertThat(evolved.indexOfId(9)).isEqualTo(1);
        assertThat(evolved.indexOfId(2)).as("a dropped id").isEqualTo(-1);
        assertThat(evolved.maxColumnId()).isEqualTo(9);
        assertThat(Schema.fromPB(evolved.toPB())).isEqualTo(evolved);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSchemas")
    void refusesInvalidSchema(Case c) {
        assertThatThrownBy(() -> Schema.fromPB(c.schema()))
                .isInstanceOfSatisfying(TabletException.class, e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT))
                .hasMessage(c.message());
    }

    @Test
    void parsesTextSpecWithNullableDefaultForNonKeyColumns() {
        Schema schema = Schema.parse("id INT64 KEY, name string, v DOUBLE NOT NULL, w BINARY NULL");
        assertThat(schema.keyColumnCount()).isEqualTo(1);
        assertThat(schema.columns()).containsExactly(
                new ColumnSchema(1, "id", DataType.INT64, false, true),
                new ColumnSchema(2, "name", DataType.STRING, true, false),
                new ColumnSchema(3, "v", DataType.DOUBLE, false, false),
                new ColumnSchema(4, "w", DataType.BINARY, true, false));
        assertThat(Schema.fromPB(schema.toPB())).isEqualTo(schema);
        assertThat(schema.indexOf("v")).isEqualTo(2);
        assertThat(schema.indexOf("nope")).isEqualTo(-1);
    }

    @Test
    void textSpecErrorsNameTheColumn() {
        assertThatThrownBy(() -> Schema.parse("id INT64 KEY NULL")).hasMessage("key column 'id' must not be nullable");
        assertThatThrownBy(() -> Schema.parse("id INT65 KEY")).hasMessage("column 'id' has an unknown type INT65");
        assertThatThrownBy(() -> Schema.parse("id INT64 KEY, v")).hasMessage("column spec 'v' needs a name and a type");
        assertThatThrownBy(() -> Schema.parse("id INT64 KEY PRIMARY")).hasMessage("column 'id': unexpected word 'PRIMARY'");
    }
}
