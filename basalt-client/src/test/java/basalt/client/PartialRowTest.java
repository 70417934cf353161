package basalt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.proto.DataType;
import basalt.proto.RowPB;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartialRowTest {
    static final Schema SCHEMA = new Schema(List.of(ColumnSchema.key("id", DataType.INT64),
            ColumnSchema.nullable("small", DataType.INT8), ColumnSchema.notNull("name", DataType.STRING),
            ColumnSchema.nullable("blob", DataType.BINARY)));

    @Test
    void setCellsBecomeTheRowAndUnsetOnesAreLeftOut() {
        PartialRow row = SCHEMA.newPartialRow().addLong("id", 7).addString("name", "x").setNull("blob");
        RowPB pb = row.toPB();
        assertThat(pb.getValuesList()).extracting(v -> v.getColumn()).containsExactly(0, 2, 3);
        assertThat(pb.getValues(0).getValue().getIntValue()).isEqualTo(7);
        assertThat(pb.getValues(2).getValue().hasStringValue()).isFalse(); // NULL: no value set
    }

    @Test
    void badCellsAreRefusedNamingTheColumn() {
        PartialRow row = SCHEMA.newPartialRow();
        assertThatThrownBy(() -> row.addInt("small", 300)).hasMessageContaining("out of range for column 'small'");
        assertThatThrownBy(() -> row.addString("id", "7")).hasMessageContaining("column 'id' is INT64, not STRING");
        assertThatThrownBy(() -> row.addLong("name", 1)).hasMessageContaining("'name' is STRING, not an integer");
        assertThatThrownBy(() -> row.setNull("name")).hasMessageContaining("'name' is not nullable");
        assertThatThrownBy(() -> row.addLong("nope", 1)).hasMessageContaining("no column 'nope'");
        assertThatThrownBy(() -> row.addString("name", null)).hasMessageContaining("use setNull");
        assertThat(row.toPB().getValuesCount()).isZero(); // nothing half-applied
    }

    @Test
    void anOperationWithoutItsKeyCannotBeRouted() {
        PartialRow row = SCHEMA.newPartialRow().addString("name", "x");
        assertThatThrownBy(() -> row.checkKeySet("INSERT")).hasMessageContaining("INSERT needs key column 'id' set");
    }

    @Test
    void schemasRefuseKeysAfterValuesAndDuplicates() {
        assertThatThrownBy(() -> new Schema(List.of(ColumnSchema.nullable("v", DataType.INT64),
                ColumnSchema.key("id", DataType.INT64)))).hasMessageContaining("key column 'id' comes after");
        assertThatThrownBy(() -> new Schema(List.of(ColumnSchema.key("id", DataType.INT64),
                ColumnSchema.nullable("id", DataType.INT64)))).hasMessageContaining("duplicate column name 'id'");
        assertThatThrownBy(() -> new Schema(List.of(ColumnSchema.nullable("v", DataType.INT64))))
                .hasMessageContaining("at least one key column");
    }
}
