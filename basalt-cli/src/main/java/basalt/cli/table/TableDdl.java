package basalt.cli.table;

import basalt.cli.rpc.ClusterClient;
import basalt.proto.CreateTableRequestPB;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.DeleteTableRequestPB;
import basalt.proto.DeleteTableResponsePB;
import basalt.proto.ErrorPB;
import basalt.proto.IsCreateTableDoneRequestPB;
import basalt.proto.IsCreateTableDoneResponsePB;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.RequestIdPB;
import basalt.proto.TableIdentifierPB;
import basalt.tablet.Schema;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Create and delete a table through the leader master. Each request carries a fresh request id, so a retry
 * after a master failover gets the first outcome back instead of "already exists". Create returns once
 * every tablet runs, so the table can be written at once.
 */
public final class TableDdl {
    private TableDdl() {}

    /** Creates the table and waits until its tablets run; returns its id. A refusal is an IllegalStateException. */
    public static String create(ClusterClient client, String name, Schema schema, PartitionSchemaPB partitions,
                                int replicas, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        CreateTableResponsePB created = client.master(stub -> stub.createTable(CreateTableRequestPB.newBuilder()
                        .setName(name).setSchema(schema.toPB()).setPartitionSchema(partitions).setNumReplicas(replicas)
                        .setRequestId(freshRequestId()).build()),
                r -> errorOf(r.hasError(), r.getError()), deadline);
        if (created.hasError()) {
            throw failed("create table " + name, created.getError());
        }
        // Bounded by the deadline; tablets of a new table start in tens of milliseconds. The master holds each
        // answer until the table is usable or wait_ms passes, so this asks a few times at most, not every 20 ms.
        while (System.nanoTime() < end) {
            int waitMs = (int) Math.min(500, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()) / 2);
            IsCreateTableDoneResponsePB done = client.master(stub -> stub.isCreateTableDone(IsCreateTableDoneRequestPB
                            .newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(created.getTableId()))
                            .setWaitMs(Math.max(0, waitMs)).build()),
                    r -> errorOf(r.hasError(), r.getError()), deadline);
            if (done.hasError()) {
                throw failed("create table " + name, done.getError());
            }
            if (done.getDone()) {
                return created.getTableId();
            }
            try {
                Thread.sleep(20); // a master that does not hold answers (wait_ms unknown to it) is not asked in a spin
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
        }
        throw new IllegalStateException("table " + name + " (id " + created.getTableId() + ") was created but its tablets"
                + " did not all start within " + deadline.toMillis() + " ms");
    }

    public static void delete(ClusterClient client, String name, Duration deadline) {
        DeleteTableResponsePB deleted = client.master(stub -> stub.deleteTable(DeleteTableRequestPB.newBuilder()
                        .setTable(TableIdentifierPB.newBuilder().setName(name)).setRequestId(freshRequestId()).build()),
                r -> errorOf(r.hasError(), r.getError()), deadline);
        if (deleted.hasError()) {
            throw failed("delete table " + name, deleted.getError());
        }
    }

    private static RequestIdPB freshRequestId() {
        return RequestIdPB.newBuilder().setClientId("cli-" + UUID.randomUUID()).setSequence(1)
                .setFirstIncompleteSequence(1).build();
    }

    private static Optional<ErrorPB> errorOf(boolean has, ErrorPB error) {
        return has ? Optional.of(error) : Optional.empty();
    }

    private static IllegalStateException failed(String what, ErrorPB error) {
        return new IllegalStateException(what + ": " + error.getCode() + " " + error.getMessage());
    }
}
