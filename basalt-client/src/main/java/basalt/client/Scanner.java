package basalt.client;

import basalt.client.meta.TableLocations;
import basalt.client.meta.TabletLocation;
import basalt.client.partition.PartitionRouter;
import basalt.proto.PredicatePB;
import basalt.proto.RowPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the rows of a table, tablet by tablet (in partition order; rows are in key order within a tablet;
 * only the one tablet that can hold them when EQUAL predicates fix every partition column),
 * one batch per {@link #nextRows} call. Each tablet is read at one snapshot timestamp from its first batch
 * to its last: when its leader dies midway, the scanner goes on at the new leader from just after the last
 * row it returned, at the same timestamp, so it returns exactly the rows of that snapshot, each once.
 * Each batch has its own deadline (the scanner timeout). Not thread-safe. Build one with
 * {@link BasaltClient#newScannerBuilder}.
 */
public final class Scanner implements AutoCloseable {
    private final AsyncBasaltClient client;
    private final BasaltTable table;
    private final Schema projection;
    private final List<String> projectedNames;
    private final List<PredicatePB> predicates;
    /** When the predicates fix every partition column: the one partition to read. */
    private final Optional<PartitionRouter.Route> onlyPartition;
    /** The key range the predicates allow, so tablets seek instead of filtering every row. */
    private final KeyBounds.Bounds keyBounds;
    private final long limit;
    private final ReadMode readMode;
    private final int batchSizeRows;
    private final Duration timeout;

    private List<TabletLocation> tablets;
    private int tabletIndex;
    /** Where the current tablet's next batch starts: after this encoded key (empty: at its first row). */
    private ByteString resumeAfterKey = ByteString.EMPTY;
    /** AT_SNAPSHOT: the scan's timestamp once known; LATEST: the current tablet's, once its first batch came. */
    private long snapshotTimestamp;
    private long returned;
    private boolean closed;

    Scanner(AsyncBasaltClient client, BasaltTable table, Schema projection, List<PredicatePB> predicates,
            Optional<PartitionRouter.Route> onlyPartition, long limit, ReadMode readMode, long snapshotTimestamp,
            int batchSizeRows, Duration timeout) {
        this.client = client;
        this.table = table;
        this.projection = projection;
        this.projectedNames = projection.columns().stream().map(ColumnSchema::name).toList();
        this.predicates = predicates;
        this.onlyPartition = onlyPartition;
        this.keyBounds = KeyBounds.of(table.schema(), predicates);
        this.limit = limit;
        this.readMode = readMode;
        this.snapshotTimestamp = snapshotTimestamp;
        this.batchSizeRows = batchSizeRows;
        this.timeout = timeout;
    }

    public Schema projectionSchema() {
        return projection;
    }

    /** The hybrid timestamp the scan reads at (AT_SNAPSHOT), once known; 0 before the first batch. */
    public long snapshotTimestamp() {
        return snapshotTimestamp;
    }

    public boolean hasMoreRows() {
        if (closed || (limit > 0 && returned >= limit)) {
            return false;
        }
        return tablets == null || tabletIndex < tablets.size();
    }

    /**
     * The next batch of rows; empty only when the scan is over.
     *
     * @throws BasaltException when a batch cannot be read before its deadline, or the request is wrong
     */
    public List<RowResult> nextRows() {
        if (tablets == null) {
            TableLocations locations = BasaltClient.await(client.locations(table.tableId(), client.newDeadline(timeout)));
            tablets = onlyPartition.map(route -> locations.tabletFor(route.bucket(), route.rangeKey())
                    .map(List::of).orElse(List.of())).orElse(locations.tablets());
        }
        // Bounded: each round either returns rows or moves to the next tablet.
        while (hasMoreRows()) {
            TabletLocation tablet = tablets.get(tabletIndex);
            ScanResponsePB response = BasaltClient.await(client.scan(table.tableId(), request(tablet),
                    client.newDeadline(timeout)));
            if (snapshotTimestamp == 0) {
                snapshotTimestamp = response.getSnapshotTimestamp();
            }
            if (response.getHasMore()) {
                resumeAfterKey = response.getLastKey();
            } else {
                nextTablet();
            }
            if (response.getRowsCount() > 0) {
                List<RowResult> rows = new ArrayList<>(response.getRowsCount());
                for (RowPB row : response.getRowsList()) {
                    rows.add(new RowResult(projection, row));
                }
                returned += rows.size();
                return rows;
            }
        }
        return List.of();
    }

    private void nextTablet() {
        tabletIndex++;
        resumeAfterKey = ByteString.EMPTY;
        if (readMode == ReadMode.LATEST) {
            snapshotTimestamp = 0; // the next tablet is read at its own newest applied data
        }
    }

    private ScanRequestPB request(TabletLocation tablet) {
        ScanRequestPB.Builder request = ScanRequestPB.newBuilder().setTabletId(tablet.tabletId())
                .addAllProjection(projectedNames).addAllPredicates(predicates).setBatchMaxRows(batchSizeRows)
                .setResumeAfterKey(resumeAfterKey);
        keyBounds.lower().ifPresent(request::setLowerKey);
        keyBounds.upper().ifPresent(request::setUpperKey);
        if (limit > 0) {
            request.setLimit(limit - returned);
        }
        // Once a timestamp is known, every later batch reads at it, whichever replica serves it.
        if (snapshotTimestamp != 0 || readMode == ReadMode.AT_SNAPSHOT) {
            request.setReadMode(basalt.proto.ReadMode.READ_AT_SNAPSHOT).setSnapshotTimestamp(snapshotTimestamp);
        } else {
            request.setReadMode(basalt.proto.ReadMode.READ_LATEST);
        }
        return request.build();
    }

    @Override
    public void close() {
        closed = true; // the server keeps no scanner state: nothing to release
    }
}
