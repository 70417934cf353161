package basalt.client.meta;

import basalt.proto.PartitionPB;
import basalt.proto.TableRecordPB;
import com.google.protobuf.ByteString;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Every tablet of one table, as one GetTableLocations answer gave them, ordered by (bucket, range). */
public final class TableLocations {
    private static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();

    private final TableRecordPB table;
    private final List<TabletLocation> tablets;

    public TableLocations(TableRecordPB table, List<TabletLocation> tablets) {
        this.table = table;
        this.tablets = tablets.stream().sorted(Comparator.comparingInt((TabletLocation t) -> t.partition().getHashBucket())
                .thenComparing(t -> t.partition().getRangeLower(), BYTES)).toList();
    }

    public TableRecordPB table() {
        return table;
    }

    public List<TabletLocation> tablets() {
        return tablets;
    }

    public Optional<TabletLocation> tablet(String tabletId) {
        return tablets.stream().filter(t -> t.tabletId().equals(tabletId)).findFirst();
    }

    /** The tablet holding rows of hash bucket {@code bucket} and range key {@code rangeKey}. */
    public Optional<TabletLocation> tabletFor(int bucket, ByteString rangeKey) {
        for (TabletLocation tablet : tablets) {
            if (covers(tablet.partition(), bucket, rangeKey)) {
                return Optional.of(tablet);
            }
        }
        return Optional.empty();
    }

    static boolean covers(PartitionPB partition, int bucket, ByteString rangeKey) {
        return partition.getHashBucket() == bucket
                && (partition.getRangeLower().isEmpty() || BYTES.compare(rangeKey, partition.getRangeLower()) >= 0)
                && (partition.getRangeUpper().isEmpty() || BYTES.compare(rangeKey, partition.getRangeUpper()) < 0);
    }
}
