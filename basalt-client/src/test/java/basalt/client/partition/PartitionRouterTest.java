package basalt.client.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.key.XxHash64;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.SchemaPB;
import com.google.protobuf.ByteString;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The server-agreement check over random rows of every type is PartitionRoutingAgreementTest in basalt-itest. */
class PartitionRouterTest {
    static final SchemaPB SCHEMA = SchemaPB.newBuilder()
            .addColumns(ColumnSchemaPB.newBuilder().setName("region").setType(DataType.STRING).setKey(true))
            .addColumns(ColumnSchemaPB.newBuilder().setName("id").setType(DataType.INT64).setKey(true))
            .addColumns(ColumnSchemaPB.newBuilder().setName("v").setType(DataType.STRING).setNullable(true))
            .build();

    /** Bucket = XXH64(seed 0) of the encoded hash column, unsigned, modulo buckets; INT64 is sign-flipped big-endian. */
    @Test
    void bucketIsXxHashOfTheEncodedHashColumns() {
        PartitionRouter router = new PartitionRouter(SCHEMA, PartitionSchemaPB.newBuilder().addHashColumns("id")
                .setHashBuckets(7).build());
        byte[] encoded = {(byte) 0x80, 0, 0, 0, 0, 0, 0, 42};
        int expected = (int) Long.remainderUnsigned(XxHash64.hash(encoded, 0), 7);
        assertThat(router.bucketFor(new Object[] {"eu", 42L, null})).isEqualTo(expected);
    }

    @Test
    void rowsSpreadOverEveryBucket() {
        PartitionRouter router = new PartitionRouter(SCHEMA, PartitionSchemaPB.newBuilder().addHashColumns("id")
                .setHashBuckets(3).build());
        Set<Integer> buckets = new HashSet<>();
        for (long id = 0; id < 100; id++) {
            buckets.add(router.bucketFor(new Object[] {"eu", id, null}));
        }
        assertThat(buckets).containsExactlyInAnyOrder(0, 1, 2);
    }

    /** Strings end with 0x00 0x00 (escaped 0x00 inside), so the range key of ("eu") is e u 00 00. */
    @Test
    void rangeKeyIsTheOrderedEncodingOfTheRangeColumns() {
        PartitionRouter router = new PartitionRouter(SCHEMA, PartitionSchemaPB.newBuilder().addRangeColumns("region").build());
        assertThat(router.rangeKeyFor(new Object[] {"eu", 1L, null}))
                .isEqualTo(ByteString.copyFrom(new byte[] {'e', 'u', 0, 0}));
        assertThat(router.bucketFor(new Object[] {"eu", 1L, null})).isZero();
    }

    @Test
    void aPartitionColumnMissingFromTheSchemaIsNamed() {
        assertThatThrownBy(() -> new PartitionRouter(SCHEMA, PartitionSchemaPB.newBuilder().addHashColumns("nope")
                .setHashBuckets(2).build())).hasMessageContaining("'nope'");
    }

    @Test
    void aNullKeyCellIsRefused() {
        PartitionRouter router = new PartitionRouter(SCHEMA, PartitionSchemaPB.newBuilder().addHashColumns("id")
                .setHashBuckets(2).build());
        assertThatThrownBy(() -> router.bucketFor(new Object[] {"eu", null, null})).hasMessageContaining("NULL");
    }
}
