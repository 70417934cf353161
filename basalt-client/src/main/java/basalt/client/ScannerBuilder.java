package basalt.client;

import basalt.proto.PredicatePB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Sets up a {@link Scanner}: projection, predicates, limit, read mode, batch size, timeout. */
public final class ScannerBuilder {
    private final AsyncBasaltClient client;
    private final BasaltTable table;
    private List<String> projectedColumns;
    private final List<ColumnPredicate> predicates = new ArrayList<>();
    private long limit;
    private ReadMode readMode = ReadMode.LATEST;
    private long snapshotTimestamp;
    private int batchSizeRows = 1_000;
    private Duration timeout;

    ScannerBuilder(AsyncBasaltClient client, BasaltTable table) {
        this.client = client;
        this.table = table;
        this.timeout = client.defaultOperationTimeout();
    }

    /** The columns to return, in this order; every column when not set. */
    public ScannerBuilder setProjectedColumnNames(List<String> columns) {
        projectedColumns = List.copyOf(columns);
        return this;
    }

    public ScannerBuilder addPredicate(ColumnPredicate predicate) {
        predicates.add(predicate);
        return this;
    }

    /** At most this many rows in all; 0 means no limit. */
    public ScannerBuilder limit(long rows) {
        if (rows < 0) {
            throw new IllegalArgumentException("the limit must not be negative, got " + rows);
        }
        limit = rows;
        return this;
    }

    public ScannerBuilder readMode(ReadMode mode) {
        readMode = mode;
        return this;
    }

    /** AT_SNAPSHOT: the hybrid timestamp to read at (0, the default, lets the first tablet pick it). */
    public ScannerBuilder snapshotTimestamp(long timestamp) {
        if (timestamp < 0) {
            throw new IllegalArgumentException("the snapshot timestamp must not be negative, got " + timestamp);
        }
        snapshotTimestamp = timestamp;
        return this;
    }

    public ScannerBuilder batchSizeRows(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("a batch holds at least 1 row, got " + rows);
        }
        batchSizeRows = rows;
        return this;
    }

    /** The deadline of each batch. */
    public ScannerBuilder timeout(Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("the scanner timeout must be positive, got " + value);
        }
        timeout = value;
        return this;
    }

    /** @throws IllegalArgumentException naming a projected or filtered column that does not exist or fit */
    public Scanner build() {
        Schema schema = table.schema();
        List<ColumnSchema> projected = new ArrayList<>();
        if (projectedColumns == null) {
            projected.addAll(schema.columns());
        } else {
            for (String name : projectedColumns) {
                projected.add(schema.column(schema.indexOrThrow(name)));
            }
        }
        List<PredicatePB> predicatePBs = new ArrayList<>();
        for (ColumnPredicate predicate : predicates) {
            predicatePBs.add(predicate.toPB(schema));
        }
        if (readMode == ReadMode.LATEST && snapshotTimestamp != 0) {
            throw new IllegalArgumentException("a snapshot timestamp needs read mode AT_SNAPSHOT");
        }
        return new Scanner(client, table, Schema.projection(projected), List.copyOf(predicatePBs),
                PartitionPruner.singlePartition(schema, table.partitionSchema(), table.router(), predicatePBs), limit,
                readMode, snapshotTimestamp, batchSizeRows, timeout);
    }
}
