package basalt.cli.workload;

import basalt.cli.rpc.ClusterClient;
import basalt.cli.rpc.RpcFailedException;
import basalt.cli.rpc.TableRoute;
import basalt.common.history.History;
import basalt.common.history.KeyValueChecker;
import basalt.common.history.Operation;
import basalt.common.history.Result;
import basalt.proto.Code;
import basalt.proto.ColumnValuePB;
import basalt.proto.ErrorPB;
import basalt.proto.OperationType;
import basalt.proto.PredicatePB;
import basalt.proto.ReadMode;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import basalt.proto.TabletLocationPB;
import basalt.proto.ValuePB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Jepsen's register workload: {@code clients} threads each run one operation at a time on one of
 * {@code keys} rows of a table {@code (k STRING KEY, v INT64)}: a read (a scan of the key at the tablet
 * leader), a write (UPSERT) or a compare-and-set (an UPDATE with an expected value), with small random
 * values so compare-and-sets often succeed. Writes carry request ids, so a retry after a lost answer is
 * answered from the tablet's replay cache, never applied twice. Each call is recorded in a {@link History}:
 * {@code ok} when it took effect, {@code fail} when it certainly did not (a failed compare, a refusal),
 * {@code info} when the outcome is still unknown at the call's deadline; a process whose call ended in {@code info} is retired and a new process
 * id takes its thread, as in Jepsen, since that call may still take effect later.
 */
public final class RegisterWorkload {
    /** The history and the checker's verdict. */
    public record Outcome(List<Operation> operations, Result verdict) {
        public long count(Operation.Status status) {
            return operations.stream().filter(operation -> operation.status() == status).count();
        }
    }

    private static final int VALUES = 5;

    private final ClusterClient client;
    private final TableRoute table;
    private final int keys;
    private final Duration callDeadline;
    private final History history = new History();
    private final long startNanos = System.nanoTime();

    public RegisterWorkload(ClusterClient client, TableRoute table, int keys, Duration callDeadline) {
        this.client = client;
        this.table = table;
        this.keys = keys;
        this.callDeadline = callDeadline;
    }

    /** Runs {@code clients} threads for {@code duration}, then checks the history. */
    public Outcome run(int clients, Duration duration, long seed) throws InterruptedException {
        long end = System.nanoTime() + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int first = c;
            SplittableRandom random = new SplittableRandom(seed + c);
            Thread thread = new Thread(() -> runClient(first, clients, random, end), "register-client-" + c);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            // Each call is bounded by callDeadline, so a thread ends within it after the run's end.
            thread.join(duration.plus(callDeadline).plusSeconds(10).toMillis());
            if (thread.isAlive()) {
                throw new IllegalStateException(thread.getName() + " did not stop");
            }
        }
        List<Operation> operations;
        synchronized (history) {
            operations = history.operations();
        }
        return new Outcome(operations, KeyValueChecker.check(operations));
    }

    private void runClient(int firstProcess, int clients, SplittableRandom random, long endNanos) {
        int process = firstProcess;
        // Bounded by the run's end time (and at most a million calls per thread).
        for (int call = 0; call < 1_000_000 && System.nanoTime() < endNanos; call++) {
            String key = "k" + random.nextInt(keys);
            boolean unknown = switch (random.nextInt(3)) {
                case 0 -> read(process, key);
                case 1 -> write(process, key, Integer.toString(random.nextInt(VALUES)));
                default -> cas(process, key, Integer.toString(random.nextInt(VALUES)), Integer.toString(random.nextInt(VALUES)));
            };
            if (unknown) {
                process += clients; // the old process may still be "running" its call: never reuse it
            }
        }
    }

    private long now() {
        return System.nanoTime() - startNanos;
    }

    /** Each returns true when the outcome was unknown (recorded as info). */
    private boolean read(int process, String key) {
        synchronized (history) {
            history.invoke(process, Operation.Function.READ, key, null, now());
        }
        TabletLocationPB tablet = table.tabletFor(new Object[] {key, null});
        ScanRequestPB request = ScanRequestPB.newBuilder().setTabletId(tablet.getTabletId())
                .setReadMode(ReadMode.READ_LATEST)
                .addPredicates(PredicatePB.newBuilder().setColumn("k").setOp(PredicatePB.Op.EQUAL)
                        .setValue(ValuePB.newBuilder().setStringValue(key)))
                .build();
        try {
            ScanResponsePB response = client.tablet(tablet.getTabletId(), TableRoute.replicas(tablet), true,
                    stub -> stub.scan(request), r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), callDeadline);
            synchronized (history) {
                if (response.hasError()) {
                    history.fail(process, now()); // a read changes nothing: failing it is always safe
                } else {
                    String value = response.getRowsCount() == 0 ? null
                            : Long.toString(response.getRows(0).getValues(1).getValue().getIntValue());
                    history.ok(process, value, now());
                }
            }
        } catch (RpcFailedException e) {
            synchronized (history) {
                history.fail(process, now());
            }
        }
        return false;
    }

    private boolean write(int process, String key, String value) {
        synchronized (history) {
            history.invoke(process, Operation.Function.WRITE, key, value, now());
        }
        return send(process, key, RowOperationPB.newBuilder().setType(OperationType.UPSERT).setRow(row(key, value)).build());
    }

    private boolean cas(int process, String key, String expected, String value) {
        synchronized (history) {
            history.invokeCas(process, key, expected, value, now());
        }
        return send(process, key, RowOperationPB.newBuilder().setType(OperationType.UPDATE).setRow(row(key, value))
                .setExpected(RowPB.newBuilder().addValues(ColumnValuePB.newBuilder().setColumn(1)
                        .setValue(ValuePB.newBuilder().setIntValue(Long.parseLong(expected))))).build());
    }

    private boolean send(int process, String key, RowOperationPB operation) {
        TabletLocationPB tablet = table.tabletFor(new Object[] {key, null});
        WriteRequestPB request = WriteRequestPB.newBuilder().setTabletId(tablet.getTabletId())
                .setSchemaVersion(table.schema().version()).addOperations(operation).build();
        try {
            WriteResponsePB response = client.write(tablet.getTabletId(), TableRoute.replicas(tablet), request, callDeadline);
            Optional<ErrorPB> error = response.hasError() ? Optional.of(response.getError())
                    : response.getRowErrorsCount() > 0 ? Optional.of(response.getRowErrors(0).getError()) : Optional.empty();
            boolean unknown = error.isPresent()
                    && (error.get().getCode() == Code.TIMED_OUT || error.get().getCode() == Code.INTERNAL);
            synchronized (history) {
                if (error.isEmpty()) {
                    history.ok(process, now());
                } else if (unknown) {
                    history.info(process, now());
                    return true;
                } else {
                    // Final answers after apply (PRECONDITION_FAILED, NOT_FOUND) or refusals before it (ABORTED,
                    // INVALID_ARGUMENT): either way the row did not change.
                    history.fail(process, now());
                }
            }
            return false;
        } catch (RpcFailedException e) {
            synchronized (history) {
                if (e.outcomeUnknown()) {
                    history.info(process, now());
                } else {
                    history.fail(process, now());
                }
            }
            return e.outcomeUnknown();
        }
    }

    private static RowPB row(String key, String value) {
        return RowPB.newBuilder()
                .addValues(ColumnValuePB.newBuilder().setColumn(0).setValue(ValuePB.newBuilder().setStringValue(key)))
                .addValues(ColumnValuePB.newBuilder().setColumn(1).setValue(ValuePB.newBuilder().setIntValue(Long.parseLong(value))))
                .build();
    }
}
