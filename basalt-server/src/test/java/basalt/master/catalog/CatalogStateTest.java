package basalt.master.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.proto.CatalogOpPB;
import basalt.proto.RequestIdPB;
import basalt.proto.RequestOutcomePB;
import basalt.proto.TableRecordPB;
import basalt.proto.TableState;
import basalt.proto.TabletRecordPB;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog's pure state: names, tablets, DDL outcomes, snapshots and the durable snapshot file. */
class CatalogStateTest {
    @TempDir
    Path dir;

    private static TableRecordPB table(String id, String name, TableState state) {
        return TableRecordPB.newBuilder().setTableId(id).setName(name).setState(state).setNumReplicas(3).build();
    }

    private static TabletRecordPB tablet(String id, String tableId) {
        return TabletRecordPB.newBuilder().setTabletId(id).setTableId(tableId).addReplicas("ts1").addReplicas("ts2").build();
    }

    @Test
    void createsAndRemovesTablesAndTablets() {
        CatalogState state = new CatalogState();
        state.apply(CatalogOpPB.newBuilder().addUpsertTables(table("t1", "orders", TableState.TABLE_CREATING))
                .addUpsertTablets(tablet("a", "t1")).addUpsertTablets(tablet("b", "t1")).build());
        assertThat(state.tableByName("orders")).map(TableRecordPB::getTableId).contains("t1");
        assertThat(state.tabletsOf("t1")).extracting(TabletRecordPB::getTabletId).containsExactly("a", "b");
        assertThat(state.replicasPerServer()).containsEntry("ts1", 2);

        state.apply(CatalogOpPB.newBuilder().addUpsertTables(table("t1", "orders", TableState.TABLE_DELETING)).build());
        assertThat(state.tableByName("orders")).as("a deleting table frees its name at once").isEmpty();
        assertThat(state.tableById("t1")).isPresent();

        state.apply(CatalogOpPB.newBuilder().addRemoveTables("t1").addRemoveTablets("a").addRemoveTablets("b").build());
        assertThat(state.tables()).isEmpty();
        assertThat(state.tabletCount()).isZero();
    }

    @Test
    void anAlterThatRenamesATableMovesItsNameAndARetriedAlterIsNotAppliedTwice() {
        CatalogState state = new CatalogState();
        state.apply(CatalogOpPB.newBuilder().addUpsertTables(table("t1", "orders", TableState.TABLE_RUNNING)).build());
        RequestIdPB request = RequestIdPB.newBuilder().setClientId("c").setSequence(1).build();
        TableRecordPB renamed = table("t1", "sales", TableState.TABLE_RUNNING).toBuilder().setVersion(2)
                .setSchema(basalt.proto.SchemaPB.newBuilder().setVersion(1)).build();
        CatalogOpPB alter = CatalogOpPB.newBuilder().addUpsertTables(renamed).addOutcomes(RequestOutcomePB.newBuilder()
                .setRequestId(request).setTableId("t1").setSchemaVersion(1)).build();

        assertThat(state.apply(alter)).isTrue();
        assertThat(state.tableByName("orders")).as("the old name is free").isEmpty();
        assertThat(state.tableByName("sales")).contains(renamed);
        assertThat(state.outcome(request)).map(RequestOutcomePB::getSchemaVersion).contains(1);

        state.apply(CatalogOpPB.newBuilder().addUpsertTables(table("t2", "orders", TableState.TABLE_CREATING)).build());
        assertThat(state.apply(alter)).as("a second proposal of the same alter").isFalse();
        assertThat(state.tableByName("orders")).map(TableRecordPB::getTableId).contains("t2");
        assertThat(CatalogState.fromSnapshot(state.snapshot()).tableByName("sales")).contains(renamed);
    }

    @Test
    void replicaCountsFollowPlacementReplacementAndRemoval() {
        CatalogState state = new CatalogState();
        state.apply(CatalogOpPB.newBuilder().addUpsertTables(table("t1", "orders", TableState.TABLE_RUNNING))
                .addUpsertTablets(tablet("a", "t1")).addUpsertTablets(tablet("b", "t1")).build());
        state.apply(CatalogOpPB.newBuilder().addUpsertTablets(tablet("b", "t1").toBuilder().setReplicas(1, "ts3")).build());
        assertThat(state.replicasPerServer()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("ts1", 2, "ts2", 1, "ts3", 1));

        state.apply(CatalogOpPB.newBuilder().addRemoveTablets("a").build());
        assertThat(state.replicasPerServer()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("ts1", 1, "ts3", 1));
        assertThat(CatalogState.fromSnapshot(state.snapshot()).replicasPerServer()).isEqualTo(state.replicasPerServer());
    }

    @Test
    void aBigCatalogIsFlushedAfterManyEntriesOrOnceAnEntryIsOldNotOnEveryChange() throws IOException {
        CatalogStateMachine machine = CatalogStateMachine.open(dir);
        long start = System.nanoTime();
        machine.apply(new Entry(new OpId(1, 1), EntryType.NO_OP, com.google.protobuf.ByteString.EMPTY));
        machine.flushIfDue(start);
        assertThat(machine.durableIndex()).as("one fresh entry waits").isZero();
        machine.flushIfDue(start + CatalogStateMachine.FLUSH_AFTER_NANOS + 1);
        assertThat(machine.durableIndex()).as("an entry that waited long enough").isEqualTo(1);

        for (long index = 2; index <= 1 + CatalogStateMachine.FLUSH_AFTER_ENTRIES; index++) {
            machine.apply(new Entry(new OpId(1, index), EntryType.NO_OP, com.google.protobuf.ByteString.EMPTY));
        }
        machine.flushIfDue(start + CatalogStateMachine.FLUSH_AFTER_NANOS + 2);
        assertThat(machine.durableIndex()).as("many entries at once").isEqualTo(1 + CatalogStateMachine.FLUSH_AFTER_ENTRIES);
    }

    @Test
    void aNameHeldByAnotherLiveTableIsACheckFailure() {
        CatalogState state = new CatalogState();
        state.apply(CatalogOpPB.newBuilder().addUpsertTables(table("t1", "orders", TableState.TABLE_RUNNING)).build());
        assertThatThrownBy(() -> state.apply(CatalogOpPB.newBuilder()
                .addUpsertTables(table("t2", "orders", TableState.TABLE_CREATING)).build()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("orders");
    }

    @Test
    void keepsTheFirstOutcomeOfARequestUntilTheClientMovesPastIt() {
        CatalogState state = new CatalogState();
        RequestIdPB first = RequestIdPB.newBuilder().setClientId("c").setSequence(1).setFirstIncompleteSequence(1).build();
        state.apply(CatalogOpPB.newBuilder().addOutcomes(RequestOutcomePB.newBuilder().setRequestId(first).setTableId("t1")).build());
        state.apply(CatalogOpPB.newBuilder().addOutcomes(RequestOutcomePB.newBuilder().setRequestId(first).setTableId("other")).build());
        assertThat(state.outcome(first)).map(RequestOutcomePB::getTableId).contains("t1");

        RequestIdPB third = RequestIdPB.newBuilder().setClientId("c").setSequence(3).setFirstIncompleteSequence(2).build();
        state.apply(CatalogOpPB.newBuilder().addOutcomes(RequestOutcomePB.newBuilder().setRequestId(third)).build());
        assertThat(state.outcome(first)).as("dropped: the client has every answer below 2").isEmpty();
        assertThat(state.outcome(third)).isPresent();
    }

    /** A DDL proposed twice under one request id (a retry after a commit timeout) takes effect once. */
    @Test
    void aSecondOpForARequestThatHasAnOutcomeIsNotApplied() {
        CatalogState state = new CatalogState();
        RequestIdPB id = RequestIdPB.newBuilder().setClientId("c").setSequence(1).setFirstIncompleteSequence(1).build();
        assertThat(state.apply(CatalogOpPB.newBuilder().addUpsertTables(table("t1", "orders", TableState.TABLE_CREATING))
                .addUpsertTablets(tablet("a", "t1"))
                .addOutcomes(RequestOutcomePB.newBuilder().setRequestId(id).setTableId("t1")).build())).isTrue();
        assertThat(state.apply(CatalogOpPB.newBuilder().addUpsertTables(table("t2", "orders", TableState.TABLE_CREATING))
                .addUpsertTablets(tablet("b", "t2"))
                .addOutcomes(RequestOutcomePB.newBuilder().setRequestId(id).setTableId("t2")).build()))
                .as("the second proposal of the same create").isFalse();
        assertThat(state.tables()).extracting(TableRecordPB::getTableId).containsExactly("t1");
        assertThat(state.tabletCount()).isEqualTo(1);
        assertThat(state.outcome(id)).map(RequestOutcomePB::getTableId).contains("t1");
    }

    @Test
    void snapshotFileRoundTripsAndRefusesCorruption() throws IOException {
        CatalogStateMachine machine = CatalogStateMachine.open(dir);
        CatalogOpPB op = CatalogOpPB.newBuilder().addUpsertTables(table("t1", "orders", TableState.TABLE_RUNNING))
                .addUpsertTablets(tablet("a", "t1")).build();
        machine.apply(new Entry(new OpId(1, 1), EntryType.NO_OP, com.google.protobuf.ByteString.EMPTY));
        machine.apply(new Entry(new OpId(1, 2), EntryType.NORMAL, op.toByteString()));
        assertThat(machine.durableIndex()).isZero();
        machine.flush();
        assertThat(machine.durableIndex()).isEqualTo(2);

        CatalogStateMachine reopened = CatalogStateMachine.open(dir);
        assertThat(reopened.lastApplied()).isEqualTo(new OpId(1, 2));
        assertThat(reopened.<java.util.Optional<TableRecordPB>>read(state -> state.tableByName("orders"))).isPresent();
        assertThat(reopened.apply(new Entry(new OpId(1, 2), EntryType.NORMAL, op.toByteString())))
                .as("an entry already in the snapshot is skipped on replay").isNull();

        Path file = dir.resolve("catalog-snapshot");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 0x40;
        Files.write(file, bytes);
        assertThatThrownBy(() -> CatalogStateMachine.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("CRC32C");
    }
}
