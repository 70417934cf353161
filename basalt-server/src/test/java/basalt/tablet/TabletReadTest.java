package basalt.tablet;

import static basalt.proto.OperationType.DELETE;
import static basalt.proto.OperationType.INSERT;
import static basalt.proto.OperationType.UPDATE;
import static basalt.tablet.TabletHarness.UNSET;
import static basalt.tablet.TabletHarness.metadata;
import static basalt.tablet.TabletHarness.op;
import static basalt.tablet.TabletHarness.row;
import static basalt.tablet.TabletHarness.rows;
import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.Code;
import basalt.proto.PredicatePB;
import basalt.proto.ReadMode;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import basalt.tablet.TabletHarness.Replica;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Goal: scans honour range, projection, predicates, limit and resumption; snapshot reads see exactly <= T. */
class TabletReadTest {
    static final Schema SCHEMA = Schema.parse("region STRING KEY, id INT32 KEY, name STRING, score DOUBLE");

    @TempDir
    Path dir;
    TabletStore store;
    Replica replica;

    @BeforeEach
    void open() throws Exception {
        store = TabletStore.open(dir);
        replica = new Replica(store, metadata("r", SCHEMA));
        List<basalt.proto.RowOperationPB> operations = new ArrayList<>();
        for (String region : List.of("eu", "us")) {
            for (int id = 0; id < 10; id++) {
                operations.add(op(INSERT, region, id, id % 2 == 0 ? null : region + id, id * 1.0));
            }
        }
        replica.write(TabletHarness.request("r", operations.toArray(basalt.proto.RowOperationPB[]::new)));
    }

    @AfterEach
    void close() {
        store.close();
    }

    ScanRequestPB.Builder scan() {
        return ScanRequestPB.newBuilder().setTabletId("r");
    }

    @Test
    void keyRangeIsLowerInclusiveUpperExclusiveAndAcceptsAKeyPrefix() {
        ScanResponsePB response = replica.tablet.scan(scan().setLowerKey(row("eu", 8)).setUpperKey(row("us", 2))
                .addProjection("id").build());
        assertThat(rows(response)).containsExactly(List.of(8L), List.of(9L), List.of(0L), List.of(1L));
        ScanResponsePB prefix = replica.tablet.scan(scan().setLowerKey(row("us")).addProjection("region").build());
        assertThat(rows(prefix)).hasSize(10).allMatch(r -> r.equals(List.of("us")));
        ScanResponsePB upperPrefix = replica.tablet.scan(scan().setUpperKey(row("us")).build());
        assertThat(rows(upperPrefix)).hasSize(10).allMatch(r -> r.get(0).equals("eu"));
    }

    @Test
    void projectionOrdersValuesByProjectionPosition() {
        ScanResponsePB response = replica.tablet.scan(scan().addProjection("score").addProjection("region")
                .setLowerKey(row("eu", 1)).setLimit(1).build());
        assertThat(rows(response)).containsExactly(List.of(1.0, "eu"));
        assertThat(response.getRows(0).getValues(0).getColumn()).isZero();
        assertThat(response.getRows(0).getValues(1).getColumn()).isEqualTo(1);
        assertThat(response.getHasMore()).isFalse();
    }

    static PredicatePB predicate(String column, PredicatePB.Op op, Object value) {
        PredicatePB.Builder predicate = PredicatePB.newBuilder().setColumn(column).setOp(op);
        if (value != null) {
            predicate.setValue(TabletHarness.value(value));
        }
        return predicate.build();
    }

    @Test
    void predicatesFilterAndNeverMatchNullExceptIsNull() {
        ScanResponsePB response = replica.tablet.scan(scan().addProjection("region").addProjection("id")
                .addPredicates(predicate("score", PredicatePB.Op.GREATER_EQUAL, 7.0))
                .addPredicates(predicate("region", PredicatePB.Op.EQUAL, "us")).build());
        assertThat(rows(response)).containsExactly(List.of("us", 7L), List.of("us", 8L), List.of("us", 9L));
        ScanResponsePB nulls = replica.tablet.scan(scan().addProjection("name")
                .addPredicates(predicate("name", PredicatePB.Op.IS_NULL, null)).build());
        assertThat(rows(nulls)).hasSize(10);
        ScanResponsePB less = replica.tablet.scan(scan().addProjection("name")
                .addPredicates(predicate("name", PredicatePB.Op.LESS, "eu5")).build());
        assertThat(rows(less)).containsExactly(List.of("eu1"), List.of("eu3"));
        ScanResponsePB notNullLe = replica.tablet.scan(scan().addProjection("id")
                .addPredicates(predicate("name", PredicatePB.Op.IS_NOT_NULL, null))
                .addPredicates(predicate("id", PredicatePB.Op.LESS_EQUAL, 1)).build());
        assertThat(rows(notNullLe)).containsExactly(List.of(1L), List.of(1L));
    }

    @Test
    void batchesResumeAfterTheLastKeyAtTheSameSnapshot() {
        ScanResponsePB first = replica.tablet.scan(scan().setBatchMaxRows(7).addProjection("id").build());
        assertThat(first.getHasMore()).isTrue();
        long snapshot = first.getSnapshotTimestamp();
        replica.write(op(DELETE, "us", 9)); // after the snapshot: the rest of the scan must not see it
        List<List<Object>> all = new ArrayList<>(rows(first));
        ScanResponsePB batch = first;
        while (batch.getHasMore()) {
            batch = replica.tablet.scan(scan().setBatchMaxRows(7).addProjection("id").setReadMode(ReadMode.READ_AT_SNAPSHOT)
                    .setSnapshotTimestamp(snapshot).setResumeAfterKey(batch.getLastKey()).build());
            assertThat(batch.hasError()).isFalse();
            all.addAll(rows(batch));
        }
        assertThat(all).hasSize(20);
        ScanResponsePB limited = replica.tablet.scan(scan().setLimit(3).setBatchMaxRows(2).build());
        assertThat(limited.getRowsCount()).isEqualTo(2);
        assertThat(limited.getHasMore()).isTrue();
        assertThat(replica.tablet.scan(scan().setLimit(2).build()).getHasMore()).isFalse();
    }

    @Test
    void badScanRequestsAreInvalidArgument() {
        assertThat(replica.tablet.scan(scan().addProjection("nope").build()).getError().getMessage())
                .isEqualTo("projection names unknown column 'nope'");
        assertThat(replica.tablet.scan(scan().addPredicates(predicate("id", PredicatePB.Op.EQUAL, "x")).build())
                .getError().getMessage()).isEqualTo("predicate on column 'id': expected a INT32 value but got a string");
        ScanResponsePB gap = replica.tablet.scan(scan().setLowerKey(row(UNSET, 3)).build());
        assertThat(gap.getError().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(gap.getError().getMessage())
                .isEqualTo("lower key must set a leading run of key columns with values; column 'id' breaks it");
    }

    @Test
    void snapshotReadsSeeExactlyTheWritesAtOrBeforeTheirTimestamp() {
        long t1 = replica.write(op(UPDATE, "eu", 1, "first")).getTimestamp();
        long t2 = replica.write(op(UPDATE, "eu", 1, "second")).getTimestamp();
        long t3 = replica.write(op(DELETE, "eu", 1)).getTimestamp();
        assertThat(nameAt(t1 - 1)).containsExactly(List.of("eu1"));
        assertThat(nameAt(t1)).containsExactly(List.of("first"));
        assertThat(nameAt(t2 - 1)).containsExactly(List.of("first"));
        assertThat(nameAt(t2)).containsExactly(List.of("second"));
        assertThat(nameAt(t3)).isEmpty();
        assertThat(rows(replica.tablet.scan(scan().setLowerKey(row("eu", 1)).setUpperKey(row("eu", 2)).build()))).isEmpty();
    }

    private List<List<Object>> nameAt(long timestamp) {
        ScanResponsePB response = replica.tablet.scan(scan().setReadMode(ReadMode.READ_AT_SNAPSHOT)
                .setSnapshotTimestamp(timestamp).setLowerKey(row("eu", 1)).setUpperKey(row("eu", 2)).addProjection("name").build());
        assertThat(response.hasError()).isFalse();
        assertThat(response.getSnapshotTimestamp()).isEqualTo(timestamp);
        return rows(response);
    }

    @Test
    void safeTimeStopsAtTheNewestAppliedWhileAWriteIsInFlight() {
        long applied = replica.tablet.newestAppliedTimestamp();
        PreparedWrite inFlight = replica.tablet.prepareWrite(TabletHarness.request("r", op(UPDATE, "eu", 3, "x")));
        assertThat(inFlight.timestamp()).isGreaterThan(applied);
        assertThat(replica.tablet.safeTime()).isEqualTo(applied);
        ScanResponsePB tooNew = replica.tablet.scan(scan().setReadMode(ReadMode.READ_AT_SNAPSHOT)
                .setSnapshotTimestamp(inFlight.timestamp()).build());
        assertThat(tooNew.getError().getCode()).isEqualTo(Code.SERVICE_UNAVAILABLE);
        assertThat(tooNew.getError().getMessage()).isEqualTo("snapshot timestamp " + inFlight.timestamp()
                + " is not yet safe on tablet r (safe time " + applied + "); retry later");
        replica.apply(basalt.consensus.core.EntryType.NORMAL, inFlight.payload());
        long safe = replica.tablet.safeTime();
        assertThat(safe).isGreaterThan(inFlight.timestamp());
        PreparedWrite next = replica.tablet.prepareWrite(TabletHarness.request("r", op(UPDATE, "eu", 3, "y")));
        assertThat(next.timestamp()).isGreaterThan(safe);
        replica.tablet.abortPrepared(next.timestamp());

        PreparedWrite aborted = replica.tablet.prepareWrite(TabletHarness.request("r", op(UPDATE, "eu", 4, "z")));
        replica.tablet.abortPrepared(aborted.timestamp());
        replica.tablet.abortPrepared(inFlight.timestamp() + 1_000_000); // unknown: harmless
        assertThat(replica.tablet.safeTime()).isGreaterThan(aborted.timestamp());
        assertThat(rows(replica.tablet.scan(scan().setLowerKey(row("eu", 3)).setUpperKey(row("eu", 5))
                .addProjection("name").build()))).containsExactly(List.of("x"), Arrays.asList((Object) null));
    }
}
