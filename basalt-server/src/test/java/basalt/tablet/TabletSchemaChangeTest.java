package basalt.tablet;

import static basalt.proto.OperationType.INSERT;
import static basalt.proto.OperationType.UPDATE;
import static basalt.tablet.TabletHarness.metadata;
import static basalt.tablet.TabletHarness.op;
import static basalt.tablet.TabletHarness.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.time.HybridClock;
import basalt.consensus.core.EntryType;
import basalt.proto.AlterSchemaResponsePB;
import basalt.proto.Code;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.DataType;
import basalt.proto.PartitionPB;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.RowOperationPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.SchemaPB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import basalt.tablet.TabletHarness.Replica;
import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a schema change entry switches the tablet's schema at its log position, rows written under an
 * older schema read right under the newer one (added columns NULL, dropped columns gone for good, renames
 * free), and a write of another schema version is refused whole, never misapplied.
 */
class TabletSchemaChangeTest {
    /** Version 0 as the master creates it: ids 1..3 by position. */
    static final Schema V0 = Schema.parse("id INT64 KEY, name STRING NOT NULL, v DOUBLE");
    /** One range partition over everything, so a rename of the key column has a partition column to follow. */
    static final PartitionSchemaPB PARTITIONED_BY_ID = PartitionSchemaPB.newBuilder().addRangeColumns("id").build();

    @TempDir
    Path dir;
    TabletStore store;
    Replica replica;

    @BeforeEach
    void open() throws Exception {
        store = TabletStore.open(dir);
        replica = new Replica(store, metadata("t1", V0, PARTITIONED_BY_ID, PartitionPB.getDefaultInstance()));
    }

    @AfterEach
    void close() {
        store.close();
    }

    static ColumnSchemaPB column(int id, String name, DataType type, boolean key, boolean nullable) {
        return ColumnSchemaPB.newBuilder().setId(id).setName(name).setType(type).setKey(key).setNullable(nullable)
                .build();
    }

    static SchemaPB schema(int version, ColumnSchemaPB... columns) {
        return SchemaPB.newBuilder().setVersion(version).addAllColumns(List.of(columns)).build();
    }

    static final ColumnSchemaPB ID = column(1, "id", DataType.INT64, true, false);
    static final ColumnSchemaPB NAME = column(2, "name", DataType.STRING, false, false);
    static final ColumnSchemaPB V = column(3, "v", DataType.DOUBLE, false, true);

    /** Replicates a schema change as the leader would, and applies it. */
    AlterSchemaResponsePB change(SchemaPB schema, String tableName) {
        ByteString payload = replica.tablet.prepareSchemaChange(schema, tableName);
        assertThat(payload.isEmpty()).as("a change to a newer version replicates").isFalse();
        return (AlterSchemaResponsePB) replica.apply(EntryType.NORMAL, payload);
    }

    WriteResponsePB writeAt(int schemaVersion, RowOperationPB... operations) {
        return replica.write(WriteRequestPB.newBuilder().setTabletId("t1").setSchemaVersion(schemaVersion)
                .addAllOperations(List.of(operations)).build());
    }

    List<List<Object>> scan(String... projection) {
        return rows(replica.tablet.scan(ScanRequestPB.newBuilder().setTabletId("t1")
                .addAllProjection(List.of(projection)).build()));
    }

    @Test
    void anAddedColumnReadsNullInOldRowsAndTakesValuesInNewOnes() {
        writeAt(0, op(INSERT, 1, "old", 1.5));
        assertThat(change(schema(1, ID, NAME, V, column(4, "extra", DataType.STRING, false, true)), "t")
                .getSchemaVersion()).isEqualTo(1);

        assertThat(writeAt(1, op(INSERT, 2, "new", 2.5, "x")).getRowErrorsList()).isEmpty();
        assertThat(scan()).containsExactly(Arrays.asList(1L, "old", 1.5, null), List.of(2L, "new", 2.5, "x"));
        assertThat(replica.tablet.schema().version()).isEqualTo(1);
    }

    @Test
    void aDroppedColumnIsGoneAndAReAddedOneOfTheSameNameDoesNotResurrectIt() {
        writeAt(0, op(INSERT, 1, "a", 1.5));
        change(schema(1, ID, NAME), "t");
        assertThat(scan()).containsExactly(List.of(1L, "a"));
        change(schema(2, ID, NAME, column(4, "v", DataType.DOUBLE, false, true)), "t");
        assertThat(scan()).containsExactly(Arrays.asList(1L, "a", null));

        // An update rewrites the row under the new schema: the dropped cell is not carried over either.
        writeAt(2, op(UPDATE, 1, "b"));
        assertThat(scan()).containsExactly(Arrays.asList(1L, "b", null));
    }

    @Test
    void renamingTheKeyColumnKeepsRowsAndThePartitionSchemaFollows() {
        writeAt(0, op(INSERT, 1, "a", 1.5));
        change(schema(1, column(1, "pk", DataType.INT64, true, false), NAME, V), "renamed");

        assertThat(replica.tablet.metadata().getPartitionSchema().getRangeColumnsList()).containsExactly("pk");
        assertThat(replica.tablet.metadata().getTableName()).isEqualTo("renamed");
        assertThat(scan("pk", "v")).containsExactly(List.of(1L, 1.5));
        assertThat(writeAt(1, op(UPDATE, 1, "b")).getRowErrorsList()).isEmpty();
        assertThat(scan("pk", "name")).containsExactly(List.of(1L, "b"));
    }

    @Test
    void aWriteOfAnotherSchemaVersionIsRefusedWholeNamingBothVersions() {
        change(schema(1, ID, NAME), "t");

        assertThatThrownBy(() -> writeAt(0, op(INSERT, 1, "a", 1.5)))
                .isInstanceOfSatisfying(TabletException.class, e -> assertThat(e.code()).isEqualTo(Code.SCHEMA_MISMATCH))
                .hasMessage("write uses schema version 0 but tablet t1 has schema version 1; refresh the table's "
                        + "schema from the master and retry");
        assertThatThrownBy(() -> writeAt(2, op(INSERT, 1, "a")))
                .hasMessageContaining("write uses schema version 2 but tablet t1 has schema version 1; "
                        + "the tablet has not applied that version yet");
        assertThat(scan()).isEmpty();
    }

    @Test
    void aWriteThatASchemaChangeOvertookInTheLogFailsWholeAtApply() {
        PreparedWrite prepared = replica.tablet.prepareWrite(WriteRequestPB.newBuilder().setTabletId("t1")
                .addOperations(op(INSERT, 1, "a", 1.5)).build());
        change(schema(1, ID, column(3, "v", DataType.DOUBLE, false, true)), "t"); // drops name: v is column 1 now

        WriteResponsePB applied = (WriteResponsePB) replica.apply(EntryType.NORMAL, prepared.payload());

        assertThat(applied.getError().getCode()).isEqualTo(Code.SCHEMA_MISMATCH);
        assertThat(scan()).isEmpty();
        assertThat(replica.tablet.safeTime()).as("the refused write is no longer in flight")
                .isGreaterThan(prepared.timestamp());
    }

    @Test
    void aRepeatedChangeIsANoOpAndAnIncompatibleOneIsRefused() {
        SchemaPB v1 = schema(1, ID, NAME);
        ByteString first = replica.tablet.prepareSchemaChange(v1, "t");
        ByteString second = replica.tablet.prepareSchemaChange(v1, "t"); // the master retried before it applied
        replica.apply(EntryType.NORMAL, first);
        assertThat(((AlterSchemaResponsePB) replica.apply(EntryType.NORMAL, second)).getSchemaVersion()).isEqualTo(1);
        assertThat(replica.tablet.prepareSchemaChange(v1, "t").isEmpty()).isTrue();

        assertThatThrownBy(() -> replica.tablet.prepareSchemaChange(
                schema(2, column(2, "name", DataType.STRING, true, false)), "t"))
                .hasMessageContaining("key columns can only be renamed");
        assertThatThrownBy(() -> replica.tablet.prepareSchemaChange(
                schema(2, ID, column(2, "name", DataType.STRING, true, false)), "t"))
                .hasMessageContaining("key columns cannot be added or dropped");
        assertThatThrownBy(() -> replica.tablet.prepareSchemaChange(
                schema(2, ID, column(2, "name", DataType.INT64, false, false)), "t"))
                .hasMessageContaining("only its name may change");
        assertThatThrownBy(() -> replica.tablet.prepareSchemaChange(
                schema(2, ID, NAME, column(9, "w", DataType.INT64, false, false)), "t"))
                .hasMessageContaining("added column 'w' must be a nullable non-key column");
    }

    @Test
    void aNewReplicaStartingFromVersionZeroReplaysTheLogIntoTheSameStateAsTheLeader() throws Exception {
        List<ByteString> log = new java.util.ArrayList<>();
        java.util.function.Consumer<ByteString> append = payload -> {
            log.add(payload);
            replica.apply(EntryType.NORMAL, payload);
        };
        append.accept(replica.tablet.prepareWrite(WriteRequestPB.newBuilder().setTabletId("t1")
                .addOperations(op(INSERT, 1, "a", 1.5)).addOperations(op(INSERT, 2, "b", 2.5)).build()).payload());
        append.accept(replica.tablet.prepareSchemaChange(schema(1, column(1, "pk", DataType.INT64, true, false), NAME,
                column(4, "w", DataType.INT64, false, true)), "t"));
        append.accept(replica.tablet.prepareWrite(WriteRequestPB.newBuilder().setTabletId("t1").setSchemaVersion(1)
                .addOperations(op(UPDATE, 1, "c", 7)).build()).payload());

        try (TabletStore other = TabletStore.open(dir.resolve("other"))) {
            Replica joined = new Replica(other, metadata("t1", V0, PARTITIONED_BY_ID, PartitionPB.getDefaultInstance()));
            log.forEach(payload -> joined.apply(EntryType.NORMAL, payload));

            assertThat(joined.tablet.metadata()).isEqualTo(replica.tablet.metadata());
            assertThat(rows(joined.scanAll())).containsExactly(List.of(1L, "c", 7L), Arrays.asList(2L, "b", null))
                    .isEqualTo(rows(replica.scanAll()));
            basalt.proto.ChecksumRequestPB checksum = basalt.proto.ChecksumRequestPB.newBuilder().setTabletId("t1")
                    .setSnapshotTimestamp(replica.tablet.newestAppliedTimestamp()).build();
            assertThat(joined.tablet.checksum(checksum).getChecksum()).as("the stored bytes agree too")
                    .isEqualTo(replica.tablet.checksum(checksum).getChecksum());
        }
    }

    @Test
    void theNewSchemaSurvivesARestartAndTravelsInATabletCopy() throws Exception {
        writeAt(0, op(INSERT, 1, "a", 1.5));
        change(schema(1, ID, column(2, "label", DataType.STRING, false, false)), "t");
        store.close();

        store = TabletStore.open(dir);
        Tablet reopened = store.openTablet("t1", new HybridClock(new TabletHarness.ManualClock()), TabletOptions.DEFAULT);
        assertThat(reopened.schema().version()).isEqualTo(1);
        assertThat(rows(reopened.scan(ScanRequestPB.newBuilder().setTabletId("t1").build())))
                .containsExactly(List.of(1L, "a"));
        assertThat(reopened.metadata()).isEqualTo(TabletHarness.metadata("t1", Schema.fromPB(schema(1, ID,
                column(2, "label", DataType.STRING, false, false))), PARTITIONED_BY_ID, PartitionPB.getDefaultInstance()));

        // A replica created at version 0 (as the master creates every new replica) that gets a copy.
        try (TabletStore other = TabletStore.open(dir.resolve("other"))) {
            Replica copied = new Replica(other, metadata("t1", V0, PARTITIONED_BY_ID, PartitionPB.getDefaultInstance()));
            copied.tablet.install(reopened.snapshot(), reopened.lastApplied());
            assertThat(copied.tablet.metadata()).isEqualTo(reopened.metadata());
            assertThat(rows(copied.scanAll())).containsExactly(List.of(1L, "a"));
        }
    }
}
