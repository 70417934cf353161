package basalt.client;

import basalt.common.net.HostPort;
import basalt.proto.Code;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The synchronous client of a Basalt cluster, over {@link AsyncBasaltClient}: every method blocks until the
 * asynchronous call completes and throws its {@link BasaltException}. Thread-safe; sessions and scanners it
 * makes are not. Build one with {@code BasaltClient.builder("m1:7051", "m2:7051", "m3:7051").build()}.
 *
 * <p><b>Failover.</b> Every operation has a deadline (the operation timeout, 30 s unless set), and within
 * it the client rides through failures on its own:
 * <ul>
 *   <li><b>Masters.</b> The client knows every master it was given and every master the cluster names
 *       since (ListMasters answers), so masters added later are used. When it does not know the leader it
 *       asks all masters at once and takes the one that says it leads; a NOT_THE_LEADER answer's hint is
 *       followed at once. An unreachable master, or a new leader not yet ready (SERVICE_UNAVAILABLE), is
 *       retried after a jittered exponential back-off of 5 to 50 ms.</li>
 *   <li><b>Tablets.</b> Writes and scans go to the tablet's leader, found through a meta cache of tablet
 *       locations (fetched from the leader master). NOT_THE_LEADER moves the call to the hinted leader;
 *       an unreachable replica, TABLET_NOT_FOUND or TABLET_NOT_RUNNING moves it to the next replica, and
 *       once every replica failed the cached locations are dropped and fetched again after a back-off.</li>
 *   <li><b>What is retried.</b> NOT_THE_LEADER, SERVICE_UNAVAILABLE, TABLET_NOT_RUNNING, ABORTED (not
 *       applied), unreachable servers, and attempts slower than the attempt timeout (10 s unless set).
 *       Every other error fails the operation at once with its code. When the deadline passes the
 *       operation fails with TIMED_OUT, naming the last reason it retried.</li>
 *   <li><b>Exactly once.</b> Every write batch and every DDL carries a request id (this client's id, a
 *       sequence number, and the lowest sequence still in flight) that all its retries reuse, so servers can
 *       return a retry the first attempt's outcome instead of applying it again. A session keeps up to two
 *       batches in flight per tablet, which a leader change may apply in either order; it sends them
 *       together only when no row is in both, so operations on one row keep their order ({@link Session}
 *       has the reasoning).</li>
 *   <li><b>Scans</b> resume at the new leader after the last row returned, at the same snapshot.</li>
 *   <li><b>Schema changes</b> are not ridden through: a write names the schema version of the table it
 *       was made from, and once an alter reaches the tablets they refuse writes of the old version whole
 *       with SCHEMA_MISMATCH, which is final (nothing applied, no retry): reopen the table and apply the
 *       operations again ({@link Session} says why the client does not re-encode them itself).</li>
 * </ul>
 * An outage shorter than the deadline is therefore invisible to the caller, apart from the time it takes.
 */
public final class BasaltClient implements AutoCloseable {
    private final AsyncBasaltClient async;

    private BasaltClient(AsyncBasaltClient async) {
        this.async = async;
    }

    /** A builder starting from these master addresses ({@code host:port}); one current master is enough. */
    public static Builder builder(String... masterAddresses) {
        return new Builder(List.of(masterAddresses));
    }

    public static Builder builder(List<String> masterAddresses) {
        return new Builder(masterAddresses);
    }

    /** See {@link AsyncBasaltClient#retries()}. */
    public long retries() {
        return async().retries();
    }

    public AsyncBasaltClient async() {
        return async;
    }

    public BasaltTable createTable(String name, Schema schema, CreateTableOptions options) {
        return await(async.createTable(name, schema, options));
    }

    /** Alters a table and returns it as it is now, once every tablet runs the new schema. */
    public BasaltTable alterTable(String name, AlterTableOptions options) {
        return await(async.alterTable(name, options));
    }

    public void deleteTable(String name) {
        await(async.deleteTable(name));
    }

    public BasaltTable openTable(String name) {
        return await(async.openTable(name));
    }

    public List<TableInfo> listTables() {
        return await(async.listTables());
    }

    public List<TabletServerInfo> listTabletServers() {
        return await(async.listTabletServers());
    }

    public List<MasterInfo> listMasters() {
        return await(async.listMasters());
    }

    public Session newSession() {
        return new Session(async);
    }

    public ScannerBuilder newScannerBuilder(BasaltTable table) {
        return new ScannerBuilder(async, table);
    }

    @Override
    public void close() {
        async.close();
    }

    /** Waits for a future and throws its failure as it is (a BasaltException, or a bad-argument error). */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BasaltException(Code.ABORTED, "interrupted while waiting", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BasaltException basalt) {
                throw new BasaltException(basalt);
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new BasaltException(Code.INTERNAL, String.valueOf(cause), cause);
        }
    }

    /** Settings of a client; see the class comment of {@link BasaltClient} for what they control. */
    public static final class Builder {
        private final List<HostPort> masters = new ArrayList<>();
        private Duration operationTimeout = ClientOptions.DEFAULT_OPERATION_TIMEOUT;
        private Duration attemptTimeout = ClientOptions.DEFAULT_ATTEMPT_TIMEOUT;
        private int workerThreads = ClientOptions.DEFAULT_WORKER_THREADS;

        private Builder(List<String> masterAddresses) {
            for (String address : masterAddresses) {
                masters.add(HostPort.parse(address.trim()));
            }
        }

        /** The deadline of every operation (each batch of a session or a scanner), 30 s by default. */
        public Builder defaultOperationTimeout(Duration timeout) {
            operationTimeout = timeout;
            return this;
        }

        /** The longest one RPC attempt may take before it is retried (within the deadline), 10 s by default. */
        public Builder attemptTimeout(Duration timeout) {
            attemptTimeout = timeout;
            return this;
        }

        /** Threads for back-off timers and background flushes (RPCs run on gRPC's own), 2 by default. */
        public Builder workerThreads(int threads) {
            workerThreads = threads;
            return this;
        }

        public BasaltClient build() {
            return new BasaltClient(buildAsync());
        }

        public AsyncBasaltClient buildAsync() {
            return new AsyncBasaltClient(new ClientOptions(masters, operationTimeout, attemptTimeout, workerThreads));
        }
    }
}
