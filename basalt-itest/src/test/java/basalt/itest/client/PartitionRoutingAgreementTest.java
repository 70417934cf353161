package basalt.itest.client;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.client.partition.PartitionRouter;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.SchemaPB;
import basalt.tablet.PartitionSchema;
import basalt.tablet.Schema;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Goal: the client sends every row to the tablet the server would put it in. Method: for key columns of
 * every type, hash and range partitioning over them, and random rows (edge values included), the
 * client's {@link PartitionRouter} and the server's {@link PartitionSchema} give the same bucket and range
 * key. Both live on this test's class path (the server through basalt-cli), which the client module does not.
 */
class PartitionRoutingAgreementTest {
    static final List<DataType> KEY_TYPES = List.of(DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64,
            DataType.TIMESTAMP, DataType.BOOL, DataType.FLOAT, DataType.DOUBLE, DataType.STRING, DataType.BINARY);

    @Test
    void clientAndServerAgreeOnEveryRowsPartition() {
        SplittableRandom random = new SplittableRandom(20261126);
        SchemaPB.Builder schema = SchemaPB.newBuilder();
        for (DataType type : KEY_TYPES) {
            schema.addColumns(ColumnSchemaPB.newBuilder().setName("k_" + type.name().toLowerCase()).setType(type).setKey(true));
        }
        schema.addColumns(ColumnSchemaPB.newBuilder().setName("v").setType(DataType.STRING).setNullable(true));
        SchemaPB schemaPB = schema.build();
        Schema serverSchema = Schema.fromPB(schemaPB);
        for (int layout = 0; layout < 40; layout++) {
            PartitionSchemaPB partitioning = randomPartitioning(random);
            PartitionSchema server = PartitionSchema.fromPB(partitioning, serverSchema);
            PartitionRouter client = new PartitionRouter(schemaPB, partitioning);
            for (int row = 0; row < 250; row++) {
                Object[] cells = randomRow(random);
                assertThat(client.bucketFor(cells)).as("bucket of row %d under %s", row, partitioning)
                        .isEqualTo(server.bucketFor(cells));
                assertThat(client.rangeKeyFor(cells)).as("range key of row %d under %s", row, partitioning)
                        .isEqualTo(server.rangeKeyFor(cells));
            }
        }
    }

    private static PartitionSchemaPB randomPartitioning(SplittableRandom random) {
        PartitionSchemaPB.Builder pb = PartitionSchemaPB.newBuilder();
        List<String> names = new ArrayList<>(KEY_TYPES.stream().map(t -> "k_" + t.name().toLowerCase()).toList());
        java.util.Collections.shuffle(names, new java.util.Random(random.nextLong()));
        int hashCount = random.nextInt(4);
        if (hashCount > 0) {
            pb.addAllHashColumns(names.subList(0, hashCount)).setHashBuckets(2 + random.nextInt(30));
        }
        int rangeCount = random.nextInt(4);
        pb.addAllRangeColumns(names.subList(hashCount, hashCount + rangeCount));
        return pb.build();
    }

    private static Object[] randomRow(SplittableRandom random) {
        Object[] cells = new Object[KEY_TYPES.size() + 1];
        for (int i = 0; i < KEY_TYPES.size(); i++) {
            boolean edge = random.nextInt(5) == 0;
            cells[i] = switch (KEY_TYPES.get(i)) {
                case INT8 -> edge ? (long) Byte.MIN_VALUE : (long) (byte) random.nextInt();
                case INT16 -> edge ? (long) Short.MAX_VALUE : (long) (short) random.nextInt();
                case INT32 -> edge ? (long) Integer.MIN_VALUE : (long) random.nextInt();
                case INT64, TIMESTAMP -> edge ? Long.MIN_VALUE : random.nextLong();
                case BOOL -> random.nextBoolean();
                case FLOAT -> edge ? Float.NaN : (float) (random.nextDouble() * 2e6 - 1e6);
                case DOUBLE -> edge ? -0.0 : random.nextDouble() * 2e12 - 1e12;
                case STRING -> edge ? "" : "s\u0000" + Long.toString(random.nextLong(), 36) + "\u00e9";
                case BINARY -> {
                    byte[] bytes = new byte[edge ? 0 : random.nextInt(20)];
                    random.nextBytes(bytes);
                    yield ByteString.copyFrom(bytes);
                }
                default -> throw new IllegalStateException();
            };
        }
        return cells;
    }
}
