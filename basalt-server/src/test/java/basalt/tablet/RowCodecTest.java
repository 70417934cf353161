package basalt.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.SchemaPB;
import com.google.protobuf.ByteString;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Goal: a row encoded under one schema version decodes under another by column id, whatever the order. */
class RowCodecTest {
    static Schema schema(int version, Object... idNameType) {
        SchemaPB.Builder pb = SchemaPB.newBuilder().setVersion(version);
        for (int i = 0; i < idNameType.length; i += 3) {
            pb.addColumns(ColumnSchemaPB.newBuilder().setId((Integer) idNameType[i]).setName((String) idNameType[i + 1])
                    .setType((DataType) idNameType[i + 2]).setKey(i == 0).setNullable(i != 0));
        }
        return Schema.fromPB(pb.build());
    }

    @Test
    void everyTypeRoundTripsAndNullsTakeNoSpace() {
        Schema all = schema(0, 1, "k", DataType.INT64, 2, "b", DataType.BOOL, 3, "f", DataType.FLOAT,
                4, "d", DataType.DOUBLE, 5, "s", DataType.STRING, 6, "x", DataType.BINARY, 7, "t", DataType.TIMESTAMP);
        Object[] row = {-5L, true, 1.5f, -0.0, "héllo", ByteString.copyFromUtf8("\u0000\u00ff"), 1L << 40};

        assertThat(RowCodec.decode(all, RowCodec.encode(all, row))).containsExactly(row);
        Object[] sparse = {1L, null, null, null, null, null, null};
        assertThat(RowCodec.encode(all, sparse)).hasSize(1 + 1 + 1 + 8);
        assertThat(RowCodec.decode(all, RowCodec.encode(all, sparse))).containsExactly(sparse);
    }

    @Test
    void aNewerSchemaReadsAddedColumnsAsNullSkipsDroppedOnesAndFollowsRenamesAndReorders() {
        Schema v0 = schema(0, 1, "k", DataType.INT64, 2, "a", DataType.STRING, 3, "b", DataType.DOUBLE);
        byte[] stored = RowCodec.encode(v0, new Object[] {7L, "dropped", 2.5});
        // v3: 'a' dropped, 'b' renamed to 'c', 'a' added again (new id 4), then 'z' (id 5) before it.
        Schema v3 = schema(3, 1, "k", DataType.INT64, 5, "z", DataType.BOOL, 3, "c", DataType.DOUBLE,
                4, "a", DataType.STRING);

        assertThat(RowCodec.decode(v3, stored)).containsExactly(7L, null, 2.5, null);
        assertThat(RowCodec.decode(v0, RowCodec.encode(v3, new Object[] {7L, true, 1.0, "new"})))
                .as("an old schema reading a new row sees only the columns it knows")
                .containsExactly(7L, null, 1.0);
    }

    @Test
    void encodingIsCanonicalForASchema() {
        Schema v0 = schema(0, 1, "k", DataType.INT64, 200, "wide id", DataType.STRING);
        byte[] first = RowCodec.encode(v0, new Object[] {1L, "x"});
        assertThat(RowCodec.encode(v0, RowCodec.decode(v0, first))).isEqualTo(first);
        assertThat(Arrays.equals(first, RowCodec.encode(v0, new Object[] {1L, "y"}))).isFalse();
    }
}
