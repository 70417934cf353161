package basalt.cli.table;

import basalt.proto.PartitionSchemaPB;
import basalt.tablet.Schema;
import java.util.List;

/**
 * {@code --hash COLUMN[,COLUMN...]:BUCKETS}, as in {@code --hash id:4}: rows spread over BUCKETS tablets
 * by a hash of those key columns. Refused with an IllegalArgumentException naming the bad part.
 */
public final class HashSpec {
    private HashSpec() {}

    public static PartitionSchemaPB parse(String spec, Schema schema) {
        if (spec == null) {
            return PartitionSchemaPB.getDefaultInstance();
        }
        int colon = spec.lastIndexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw new IllegalArgumentException("--hash '" + spec + "' is not COLUMN[,COLUMN...]:BUCKETS (e.g. id:4)");
        }
        int buckets;
        try {
            buckets = Integer.parseInt(spec.substring(colon + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--hash '" + spec + "': bucket count '" + spec.substring(colon + 1)
                    + "' is not a number");
        }
        if (buckets < 1 || buckets > 1024) {
            throw new IllegalArgumentException("--hash '" + spec + "': bucket count " + buckets + " is not in 1..1024");
        }
        List<String> columns = List.of(spec.substring(0, colon).split(",")).stream().map(String::trim).toList();
        for (String column : columns) {
            int index = schema.indexOf(column);
            if (index < 0 || !schema.column(index).key()) {
                throw new IllegalArgumentException("--hash '" + spec + "': '" + column + "' is not a key column ("
                        + "key: " + String.join(", ", schema.columns().subList(0, schema.keyColumnCount()).stream()
                        .map(c -> c.name()).toList()) + ")");
            }
        }
        return buckets == 1 ? PartitionSchemaPB.getDefaultInstance()
                : PartitionSchemaPB.newBuilder().addAllHashColumns(columns).setHashBuckets(buckets).build();
    }
}
