package basalt.ycsb;

import basalt.client.BasaltClient;
import basalt.client.BasaltException;
import basalt.client.BasaltTable;
import basalt.client.ColumnPredicate;
import basalt.client.ColumnPredicate.ComparisonOp;
import basalt.client.Operation;
import basalt.client.OperationResponse;
import basalt.client.RowError;
import basalt.client.RowResult;
import basalt.client.Scanner;
import basalt.client.Schema;
import basalt.client.Session;
import basalt.proto.Code;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.Vector;
import java.util.logging.Logger;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * The YCSB binding: each YCSB thread gets one of these, with its own {@link Session}; all share one
 * {@link BasaltClient} and the table (made on first use, see {@link YcsbTables}). Properties are those of
 * {@link YcsbOptions}.
 *
 * <p>Outcomes. In {@code basalt.flush_mode=sync} (default) every insert, update and delete is sent and
 * its own outcome returned, so YCSB's latencies are those of replicated, durable writes. In
 * {@code background} mode they are buffered and batched per tablet and return BATCHED_OK at once; a row
 * error seen at a later call makes that call return ERROR (and is logged), and {@link #cleanup} flushes and
 * fails if any row failed, so no error is lost. Reads and scans always go to the tablet leaders
 * (READ_LATEST) and see every write acknowledged before them.
 *
 * <p>Scans return the {@code recordcount} rows with the lowest keys from {@code startkey} on. With range
 * partitioning that is one ordered scan with a limit; with hash partitioning the rows of every bucket from
 * {@code startkey} on are read and the lowest kept, which costs the whole key range after
 * {@code startkey}: use {@code basalt.partitioning=range} for scan-heavy workloads (E).
 */
public final class BasaltYcsbClient extends DB {
    private static final Logger LOG = Logger.getLogger(BasaltYcsbClient.class.getName());

    private YcsbOptions options;
    private BasaltClient client;
    private final Map<String, BasaltTable> tables = new HashMap<>();
    private Session session;

    @Override
    public void init() throws DBException {
        try {
            options = YcsbOptions.from(getProperties());
        } catch (IllegalArgumentException e) {
            throw new DBException("basalt binding: " + e.getMessage(), e);
        }
        BasaltClient shared = SharedClient.acquire(options);
        try {
            tables.put(options.table(), YcsbTables.openOrCreate(shared, options));
            session = shared.newSession();
            if (options.background()) {
                session.setFlushMode(Session.FlushMode.AUTO_FLUSH_BACKGROUND).setBatchMaxOps(options.batchMaxOps())
                        .setMutationBufferSpace(options.bufferSpace()).setFlushInterval(options.flushInterval());
            }
        } catch (IllegalArgumentException | BasaltException e) {
            SharedClient.release(); // cleanup will not: this thread never got going
            throw new DBException("basalt binding: " + e.getMessage(), e);
        }
        client = shared;
    }

    @Override
    public void cleanup() throws DBException {
        if (client == null) {
            return;
        }
        try {
            session.close(); // flushes
            Session.RowErrors errors = session.pendingErrors();
            if (!errors.errors().isEmpty()) {
                throw new DBException("basalt binding: " + errors.errors().size() + (errors.overflowed() ? "+" : "")
                        + " buffered operations failed; first: " + errors.errors().get(0));
            }
        } finally {
            SharedClient.release();
            client = null;
        }
    }

    @Override
    public Status read(String tableName, String key, Set<String> fields, Map<String, ByteIterator> result) {
        try {
            BasaltTable table = table(tableName);
            var builder = client.newScannerBuilder(table)
                    .addPredicate(ColumnPredicate.comparison(YcsbTables.KEY, ComparisonOp.EQUAL, key)).limit(1);
            if (fields != null) {
                builder.setProjectedColumnNames(new ArrayList<>(fields));
            }
            try (Scanner scanner = builder.build()) {
                // Bounded: one row at most, and every batch but the last has rows.
                while (scanner.hasMoreRows()) {
                    for (RowResult row : scanner.nextRows()) {
                        copyFields(row, result);
                        return Status.OK;
                    }
                }
            }
            return Status.NOT_FOUND;
        } catch (BasaltException | IllegalArgumentException e) {
            return failed("read " + key, e);
        }
    }

    @Override
    public Status scan(String tableName, String startKey, int recordCount, Set<String> fields,
                       Vector<HashMap<String, ByteIterator>> result) {
        try {
            BasaltTable table = table(tableName);
            List<String> projection = null;
            if (fields != null) {
                projection = new ArrayList<>(fields);
                projection.add(YcsbTables.KEY); // to keep the lowest keys; copyFields leaves it out
            }
            var builder = client.newScannerBuilder(table)
                    .addPredicate(ColumnPredicate.comparison(YcsbTables.KEY, ComparisonOp.GREATER_EQUAL, startKey));
            if (projection != null) {
                builder.setProjectedColumnNames(projection);
            }
            boolean ordered = options.rangePartitioned();
            if (ordered) {
                builder.limit(recordCount); // tablets in range order, rows in key order: the first rows are the lowest
            }
            // Hash buckets interleave keys: keep the recordCount lowest seen, highest first so it is dropped.
            PriorityQueue<RowResult> lowest = new PriorityQueue<>(
                    (a, b) -> b.getString(YcsbTables.KEY).compareTo(a.getString(YcsbTables.KEY)));
            try (Scanner scanner = builder.build()) {
                // Bounded: the table is finite and every batch but the last has rows.
                while (scanner.hasMoreRows()) {
                    for (RowResult row : scanner.nextRows()) {
                        lowest.add(row);
                        if (lowest.size() > recordCount) {
                            lowest.poll();
                        }
                    }
                }
            }
            List<RowResult> rows = new ArrayList<>(lowest);
            rows.sort((a, b) -> a.getString(YcsbTables.KEY).compareTo(b.getString(YcsbTables.KEY)));
            for (RowResult row : rows) {
                HashMap<String, ByteIterator> values = new HashMap<>();
                copyFields(row, values);
                result.add(values);
            }
            return Status.OK;
        } catch (BasaltException | IllegalArgumentException e) {
            return failed("scan from " + startKey, e);
        }
    }

    @Override
    public Status update(String tableName, String key, Map<String, ByteIterator> values) {
        try {
            return apply(withValues(table(tableName).newUpdate(), key, values));
        } catch (BasaltException | IllegalArgumentException e) {
            return failed("update " + key, e);
        }
    }

    @Override
    public Status insert(String tableName, String key, Map<String, ByteIterator> values) {
        try {
            return apply(withValues(table(tableName).newInsert(), key, values));
        } catch (BasaltException | IllegalArgumentException e) {
            return failed("insert " + key, e);
        }
    }

    @Override
    public Status delete(String tableName, String key) {
        try {
            Operation delete = table(tableName).newDelete();
            delete.row().addString(YcsbTables.KEY, key);
            return apply(delete);
        } catch (BasaltException | IllegalArgumentException e) {
            return failed("delete " + key, e);
        }
    }

    // ---- internals ----

    private BasaltTable table(String name) {
        BasaltTable table = tables.get(name);
        if (table == null) {
            table = client.openTable(name);
            tables.put(name, table);
        }
        return table;
    }

    private static Operation withValues(Operation operation, String key, Map<String, ByteIterator> values) {
        operation.row().addString(YcsbTables.KEY, key);
        for (Map.Entry<String, ByteIterator> value : values.entrySet()) {
            operation.row().addBinary(value.getKey(), value.getValue().toArray());
        }
        return operation;
    }

    private Status apply(Operation operation) {
        OperationResponse response = session.apply(operation);
        if (response != null) { // sync: this operation's own outcome
            return response.rowError().map(this::statusOf).orElse(Status.OK);
        }
        if (session.countPendingErrors() > 0) {
            Session.RowErrors errors = session.pendingErrors();
            LOG.warning("basalt binding: " + errors.errors().size() + " buffered operations failed; first: "
                    + errors.errors().get(0));
            return Status.ERROR;
        }
        return Status.BATCHED_OK;
    }

    private Status statusOf(RowError error) {
        if (error.code() == Code.NOT_FOUND) {
            return Status.NOT_FOUND;
        }
        LOG.warning("basalt binding: " + error);
        return error.code() == Code.TIMED_OUT ? Status.SERVICE_UNAVAILABLE : Status.ERROR;
    }

    /** The row's fields (the key is not a YCSB field); NULL fields are left out, as never written. */
    private static void copyFields(RowResult row, Map<String, ByteIterator> into) {
        Schema schema = row.schema();
        for (int i = 0; i < schema.columnCount(); i++) {
            String name = schema.column(i).name();
            if (!name.equals(YcsbTables.KEY) && !row.isNull(name)) {
                into.put(name, new ByteArrayByteIterator(row.getBinary(name)));
            }
        }
    }

    private static Status failed(String what, RuntimeException e) {
        LOG.warning("basalt binding: " + what + " failed: " + e.getMessage());
        return e instanceof BasaltException basalt && basalt.code() == Code.TIMED_OUT ? Status.SERVICE_UNAVAILABLE
                : Status.ERROR;
    }
}
