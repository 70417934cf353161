package basalt.itest.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.TabletClient;
import basalt.itest.workload.TestTables;
import basalt.proto.Code;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.ColumnValuePB;
import basalt.proto.DataType;
import basalt.proto.OperationType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.RequestIdPB;
import basalt.proto.RowErrorPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.SchemaPB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.ValuePB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: bad writes sent over RPC get a clear, specific answer and change nothing they should not: a row
 * that is wrong gets a RowErrorPB with INVALID_ARGUMENT naming the column while the good rows of the same
 * request apply; a request that is wrong as a whole gets a per-call error and applies nothing; a write to
 * an unknown tablet gets TABLET_NOT_FOUND; and a write sent to a follower gets NOT_THE_LEADER naming the
 * leader's uuid and address.
 *
 * <p>Method: a 3-replica tablet of {@code id INT64 KEY, v STRING NULL, n INT32 NOT NULL}. One mixed batch
 * carries a good row between each kind of bad row (wrong type, unknown column index, missing key, NULL and
 * unset NOT NULL column, a cell one byte over 64 KiB next to one of exactly 64 KiB, an out-of-range INT32,
 * no operation type, DELETE setting a non-key column); requests refused whole are sent straight to the
 * leader's stub. A scan at the leader afterwards must hold exactly the good rows.
 */
class BadInputTest {
    private static final int CELL_LIMIT_BYTES = 64 * 1024;
    private static final String TABLET = ReplicatedTabletCluster.TABLET;

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numTabletServers(3));

    @Test
    void badRowsAreRefusedOneByOneAndBadRequestsWhole() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster, tabletWithNotNullColumn());
        try (TabletClient client = ReplicatedTabletCluster.client(cluster)) {
            List<RowOperationPB> batch = new ArrayList<>();
            Map<Long, String> expected = new TreeMap<>();
            Map<Integer, String> expectedErrors = new TreeMap<>(); // row -> what the message must name
            // Each bad row is followed by a good one, so row numbers in errors are checked to be exact.
            addGood(batch, expected, 1, "ok1");
            addBad(batch, expectedErrors, "'v'", op(OperationType.INSERT, row(cell(0, intValue(2)), cell(1, intValue(7)),
                    cell(2, intValue(1)))));                                                         // wrong type
            addGood(batch, expected, 3, "ok3");
            addBad(batch, expectedErrors, "column index 9", op(OperationType.INSERT, row(cell(0, intValue(4)),
                    cell(2, intValue(1)), cell(9, intValue(1)))));                                   // no such column
            addGood(batch, expected, 5, "ok5");
            addBad(batch, expectedErrors, "'id'", op(OperationType.INSERT, row(cell(1, string("no key")),
                    cell(2, intValue(1)))));                                                         // missing key
            addGood(batch, expected, 7, "ok7");
            addBad(batch, expectedErrors, "'n'", op(OperationType.INSERT, row(cell(0, intValue(8)), cell(1, string("x")),
                    cell(2, ValuePB.getDefaultInstance()))));                                        // NULL in NOT NULL
            addBad(batch, expectedErrors, "'n'", op(OperationType.UPSERT, row(cell(0, intValue(9)),
                    cell(1, string("x")))));                                                         // NOT NULL unset
            addBad(batch, expectedErrors, "'v'", op(OperationType.INSERT, row(cell(0, intValue(10)),
                    cell(1, string("x".repeat(CELL_LIMIT_BYTES + 1))), cell(2, intValue(1)))));       // cell too big
            addGood(batch, expected, 11, "y".repeat(CELL_LIMIT_BYTES));                              // exactly the limit
            addBad(batch, expectedErrors, "'n'", op(OperationType.INSERT, row(cell(0, intValue(12)),
                    cell(1, string("x")), cell(2, intValue(1L << 40)))));                           // INT32 out of range
            addBad(batch, expectedErrors, "operation type", RowOperationPB.newBuilder()
                    .setRow(row(cell(0, intValue(13)), cell(1, string("x")), cell(2, intValue(1)))).build()); // no type
            addBad(batch, expectedErrors, "'v'", op(OperationType.DELETE, row(cell(0, intValue(1)),
                    cell(1, string("x")))));                                                         // DELETE sets v
            addGood(batch, expected, 15, "ok15");

            WriteResponsePB response = client.write(TestTables.write(batch), Duration.ofSeconds(30));
            assertThat(response.hasError()).as("a mixed batch is not refused whole: %s", response.getError()).isFalse();
            Map<Integer, RowErrorPB> errors = new TreeMap<>();
            response.getRowErrorsList().forEach(error -> errors.put(error.getRow(), error));
            assertThat(errors.keySet()).as("rows refused").containsExactlyElementsOf(expectedErrors.keySet());
            for (Map.Entry<Integer, String> wanted : expectedErrors.entrySet()) {
                RowErrorPB error = errors.get(wanted.getKey());
                assertThat(error.getError().getCode()).as("row %s: %s", error.getRow(), error.getError().getMessage())
                        .isEqualTo(Code.INVALID_ARGUMENT);
                assertThat(error.getError().getMessage()).as("row %s", error.getRow())
                        .startsWith("row " + error.getRow() + ": ").contains(wanted.getValue());
            }
            assertThat(scan(client)).as("exactly the good rows of the mixed batch").isEqualTo(expected);

            // Refused whole: a malformed request id, too many operations, a tablet id the body does not match.
            List<RowOperationPB> good = List.of(op(OperationType.INSERT, row(cell(0, intValue(100)),
                    cell(1, string("never")), cell(2, intValue(1)))));
            assertRefusedWhole(cluster, WriteRequestPB.newBuilder().setTabletId(TABLET).addAllOperations(good)
                    .setRequestId(RequestIdPB.newBuilder().setSequence(1)).build(), Code.INVALID_ARGUMENT, "client id");
            List<RowOperationPB> tooMany = new ArrayList<>(good);
            for (long id = 101; id <= 10_100; id++) { // 10,001 operations, one over the limit
                tooMany.add(op(OperationType.INSERT, row(cell(0, intValue(id)), cell(2, intValue(1)))));
            }
            assertRefusedWhole(cluster, WriteRequestPB.newBuilder().setTabletId(TABLET).addAllOperations(tooMany).build(),
                    Code.INVALID_ARGUMENT, "10001 operations");
            assertRefusedWhole(cluster, WriteRequestPB.newBuilder().setTabletId("ffffffffffffffffffffffffffffffff")
                    .addAllOperations(good).build(), Code.TABLET_NOT_FOUND, "ffffffffffffffffffffffffffffffff");
            assertRefusedWhole(cluster, WriteRequestPB.newBuilder().addAllOperations(good).build(),
                    Code.TABLET_NOT_FOUND, "");
            // A request whose rows are all bad replicates nothing and reports every row.
            WriteResponsePB allBad = writeToLeader(cluster, WriteRequestPB.newBuilder().setTabletId(TABLET)
                    .addOperations(op(OperationType.INSERT, row(cell(0, intValue(200)))))
                    .addOperations(op(OperationType.INSERT, row(cell(1, string("no key")), cell(2, intValue(1)))))
                    .build());
            assertThat(allBad.hasError()).isFalse();
            assertThat(allBad.getRowErrorsList()).extracting(RowErrorPB::getRow).containsExactly(0, 1);
            assertThat(scan(client)).as("nothing of the requests refused whole").isEqualTo(expected);
        }
    }

    @Test
    void writeToAFollowerNamesTheLeader() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster, tabletWithNotNullColumn());
        ExternalServer leader = TabletChecks.awaitLeader(cluster, Duration.ofSeconds(30));
        WriteRequestPB request = WriteRequestPB.newBuilder().setTabletId(TABLET).addOperations(
                op(OperationType.INSERT, row(cell(0, intValue(1)), cell(1, string("x")), cell(2, intValue(1))))).build();
        for (ExternalServer follower : cluster.tabletServers()) {
            if (follower == leader) {
                continue;
            }
            // A follower learns the leader from its first append; the leader is ready, so that has happened
            // unless the follower is still starting up: wait for its report to name the leader.
            basalt.itest.cluster.Poll.until(follower.name() + " to know the leader", Duration.ofSeconds(30),
                    () -> leader.uuid().equals(TabletChecks.report(follower, TABLET).orElseThrow().getConsensus()
                            .getLeaderUuid()));
            WriteResponsePB response = write(follower, request);
            assertThat(response.getError().getCode()).as("%s", response.getError()).isEqualTo(Code.NOT_THE_LEADER);
            assertThat(response.getError().getLeaderUuid()).isEqualTo(leader.uuid());
            assertThat(response.getError().getLeaderAddress().getHost()).isEqualTo(leader.rpcAddress().host());
            assertThat(response.getError().getLeaderAddress().getPort()).isEqualTo(leader.rpcAddress().port());
        }
        try (TabletClient client = ReplicatedTabletCluster.client(cluster)) {
            assertThat(scan(client)).as("a write refused by followers applies nothing").isEmpty();
        }
    }

    private static TabletMetadataPB tabletWithNotNullColumn() {
        SchemaPB schema = SchemaPB.newBuilder()
                .addColumns(ColumnSchemaPB.newBuilder().setName("id").setType(DataType.INT64).setKey(true))
                .addColumns(ColumnSchemaPB.newBuilder().setName("v").setType(DataType.STRING).setNullable(true))
                .addColumns(ColumnSchemaPB.newBuilder().setName("n").setType(DataType.INT32).setNullable(false))
                .build();
        return TabletMetadataPB.newBuilder().setTabletId(TABLET).setTableId("table-bad-input")
                .setTableName("bad_input").setSchema(schema)
                .setPartitionSchema(PartitionSchemaPB.getDefaultInstance()).build();
    }

    private static void assertRefusedWhole(ExternalMiniCluster cluster, WriteRequestPB request, Code code, String named) {
        WriteResponsePB response = writeToLeader(cluster, request);
        assertThat(response.getError().getCode()).as("response to a request refused whole: %s", response).isEqualTo(code);
        assertThat(response.getError().getMessage()).contains(named);
        assertThat(response.getRowErrorsList()).isEmpty();
    }

    /**
     * Sends to the tablet's leader, finding it again when leadership moved under a loaded machine (the
     * answer is then NOT_THE_LEADER or SERVICE_UNAVAILABLE, never one of the refusals checked here).
     */
    private static WriteResponsePB writeToLeader(ExternalMiniCluster cluster, WriteRequestPB request) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            WriteResponsePB response = write(TabletChecks.awaitLeader(cluster, Duration.ofSeconds(30)), request);
            Code code = response.getError().getCode();
            boolean leaderMoved = code == Code.NOT_THE_LEADER || code == Code.SERVICE_UNAVAILABLE;
            if (!leaderMoved || System.nanoTime() > deadline) {
                return response;
            }
        }
    }

    private static WriteResponsePB write(ExternalServer server, WriteRequestPB request) {
        return server.tabletServerStub().withDeadlineAfter(10, TimeUnit.SECONDS).write(request);
    }

    private static Map<Long, String> scan(TabletClient client) {
        Map<Long, String> rows = new TreeMap<>();
        for (RowPB row : client.scanAll(Duration.ofSeconds(30))) {
            rows.put(TestTables.idOf(row), TestTables.valueOf(row));
        }
        return rows;
    }

    private static void addGood(List<RowOperationPB> batch, Map<Long, String> expected, long id, String value) {
        batch.add(op(OperationType.INSERT, row(cell(0, intValue(id)), cell(1, string(value)), cell(2, intValue(id)))));
        expected.put(id, value);
    }

    private static void addBad(List<RowOperationPB> batch, Map<Integer, String> expectedErrors, String named,
                               RowOperationPB operation) {
        expectedErrors.put(batch.size(), named);
        batch.add(operation);
    }

    private static RowOperationPB op(OperationType type, RowPB row) {
        return RowOperationPB.newBuilder().setType(type).setRow(row).build();
    }

    private static RowPB row(ColumnValuePB... cells) {
        return RowPB.newBuilder().addAllValues(List.of(cells)).build();
    }

    private static ColumnValuePB cell(int column, ValuePB value) {
        return ColumnValuePB.newBuilder().setColumn(column).setValue(value).build();
    }

    private static ValuePB intValue(long value) {
        return ValuePB.newBuilder().setIntValue(value).build();
    }

    private static ValuePB string(String value) {
        return ValuePB.newBuilder().setStringValue(value).build();
    }
}
