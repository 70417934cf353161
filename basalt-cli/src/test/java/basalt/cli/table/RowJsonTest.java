package basalt.cli.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.proto.PartitionSchemaPB;
import basalt.tablet.Schema;
import org.junit.jupiter.api.Test;

/** Goal: rows typed as JSON and --hash specs become exactly the cells and partitioning meant, or a message naming the bad part. */
class RowJsonTest {
    private static final Schema SCHEMA = Schema.parse("id INT64 KEY, name STRING, v DOUBLE, ok BOOL");

    @Test
    void aJsonObjectBecomesCellsInSchemaOrderWithOnlyTheNamedColumnsSet() {
        RowJson.Cells cells = RowJson.parse(SCHEMA, "{\"v\": 2, \"id\": 7, \"name\": null}");
        assertThat(cells.cells()).containsExactly(7L, null, 2.0, null);
        assertThat(cells.set()).containsExactly(true, true, true, false);
        assertThat(cells.toPB(SCHEMA).getValuesCount()).isEqualTo(3);
        assertThat(RowJson.render(SCHEMA, cells.toPB(SCHEMA)).toString()).isEqualTo("{\"id\":7,\"name\":null,\"v\":2.0}");
    }

    @Test
    void badRowsAreRefusedNamingTheColumnAndValue() {
        assertThatThrownBy(() -> RowJson.parse(SCHEMA, "{\"id\": 1, \"age\": 3}"))
                .hasMessage("no column 'age' (columns: id, name, v, ok)");
        assertThatThrownBy(() -> RowJson.parse(SCHEMA, "{\"id\": 1.5}"))
                .hasMessage("column 'id' is INT64, so 1.5 does not fit (not an integer in range)");
        assertThatThrownBy(() -> RowJson.parse(SCHEMA, "{\"id\": 99999999999999999999}")).hasMessageContaining("not an integer in range");
        assertThatThrownBy(() -> RowJson.parse(SCHEMA, "{\"id\": 1, \"ok\": \"yes\"}"))
                .hasMessage("column 'ok' is BOOL, so \"yes\" does not fit");
        assertThatThrownBy(() -> RowJson.parse(SCHEMA, "[1, 2]")).hasMessageStartingWith("a row is a JSON object");
        assertThatThrownBy(() -> RowJson.parse(SCHEMA, "{\"id\": ")).hasMessageStartingWith("not a JSON object");
    }

    @Test
    void hashSpecsNameKeyColumnsAndABucketCount() {
        Schema twoKeys = Schema.parse("a INT64 KEY, b STRING KEY, v DOUBLE");
        assertThat(HashSpec.parse("a,b:4", twoKeys)).isEqualTo(PartitionSchemaPB.newBuilder().addHashColumns("a")
                .addHashColumns("b").setHashBuckets(4).build());
        assertThat(HashSpec.parse(null, twoKeys)).isEqualTo(PartitionSchemaPB.getDefaultInstance());
        assertThat(HashSpec.parse("a:1", twoKeys)).as("one bucket is no hashing").isEqualTo(PartitionSchemaPB.getDefaultInstance());
        assertThatThrownBy(() -> HashSpec.parse("v:4", twoKeys)).hasMessage("--hash 'v:4': 'v' is not a key column (key: a, b)");
        assertThatThrownBy(() -> HashSpec.parse("a", twoKeys)).hasMessageContaining("is not COLUMN[,COLUMN...]:BUCKETS");
        assertThatThrownBy(() -> HashSpec.parse("a:0", twoKeys)).hasMessageContaining("bucket count 0 is not in 1..1024");
    }
}
