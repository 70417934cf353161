package basalt.itest.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.MasterClient;
import basalt.itest.workload.TabletClient;
import basalt.proto.AlterTableRequestPB;
import basalt.proto.AlterTableResponsePB;
import basalt.proto.AlterTableStepPB;
import basalt.proto.Code;
import basalt.proto.ColumnSchemaPB;
import basalt.proto.ColumnValuePB;
import basalt.proto.CreateTableRequestPB;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.DataType;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.GetTableSchemaRequestPB;
import basalt.proto.GetTableSchemaResponsePB;
import basalt.proto.IsAlterTableDoneRequestPB;
import basalt.proto.IsAlterTableDoneResponsePB;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.OperationType;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.RequestIdPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TabletReportPB;
import basalt.proto.ValuePB;
import basalt.proto.WriteRequestPB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: AlterTable end to end on real processes. A table with rows gets a column added and one renamed,
 * then a column dropped and the key column and the table renamed; after each alter IsAlterTableDone
 * turns true, scans show exactly the new columns over the old rows (NULL for the added column, never the
 * dropped one), a write of the old schema version is refused with SCHEMA_MISMATCH naming both versions,
 * every replica runs the new schema, a retried alter returns its first outcome, and a bad alter changes
 * nothing.
 */
class MasterAlterTableTest {
    static final Duration DEADLINE = Duration.ofSeconds(60);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(3));

    static RequestIdPB requestId(long sequence) {
        return RequestIdPB.newBuilder().setClientId("alter-test").setSequence(sequence)
                .setFirstIncompleteSequence(sequence).build();
    }

    static AlterTableStepPB addColumn(String name, DataType type) {
        return AlterTableStepPB.newBuilder().setAddColumn(AlterTableStepPB.AddColumn.newBuilder().setColumn(
                ColumnSchemaPB.newBuilder().setName(name).setType(type).setNullable(true))).build();
    }

    static AlterTableStepPB dropColumn(String name) {
        return AlterTableStepPB.newBuilder().setDropColumn(AlterTableStepPB.DropColumn.newBuilder().setName(name)).build();
    }

    static AlterTableStepPB renameColumn(String from, String to) {
        return AlterTableStepPB.newBuilder().setRenameColumn(AlterTableStepPB.RenameColumn.newBuilder()
                .setOldName(from).setNewName(to)).build();
    }

    static AlterTableStepPB renameTable(String to) {
        return AlterTableStepPB.newBuilder().setRenameTable(AlterTableStepPB.RenameTable.newBuilder().setNewName(to))
                .build();
    }

    static AlterTableResponsePB alter(MasterClient masters, String table, RequestIdPB requestId,
                                      AlterTableStepPB... steps) {
        return masters.call(stub -> stub.alterTable(AlterTableRequestPB.newBuilder()
                .setTable(TableIdentifierPB.newBuilder().setName(table)).addAllSteps(List.of(steps))
                .setRequestId(requestId).build()), r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(),
                DEADLINE);
    }

    static void awaitAlterDone(MasterClient masters, String tableId, int schemaVersion) {
        Poll.until("table " + tableId + " to run schema version " + schemaVersion + " in every tablet", DEADLINE, () -> {
            IsAlterTableDoneResponsePB done = masters.call(stub -> stub.isAlterTableDone(IsAlterTableDoneRequestPB
                    .newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(tableId)).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(done.hasError()).as("IsAlterTableDone: %s", done.getError()).isFalse();
            assertThat(done.getSchemaVersion()).isEqualTo(schemaVersion);
            return done.getDone();
        });
    }

    static ValuePB value(Object cell) {
        return cell == null ? ValuePB.getDefaultInstance() : cell instanceof String s
                ? ValuePB.newBuilder().setStringValue(s).build()
                : ValuePB.newBuilder().setIntValue(((Number) cell).longValue()).build();
    }

    /** An insert of cells by column index of the schema version the write names. */
    static WriteRequestPB insert(int schemaVersion, Object... cells) {
        RowPB.Builder row = RowPB.newBuilder();
        for (int i = 0; i < cells.length; i++) {
            row.addValues(ColumnValuePB.newBuilder().setColumn(i).setValue(value(cells[i])));
        }
        return WriteRequestPB.newBuilder().setSchemaVersion(schemaVersion).addOperations(RowOperationPB.newBuilder()
                .setType(OperationType.INSERT).setRow(row)).build();
    }

    /** Scanned rows as lists of longs, strings and nulls. */
    static List<List<Object>> cells(List<RowPB> rows) {
        List<List<Object>> result = new ArrayList<>();
        for (RowPB row : rows) {
            result.add(row.getValuesList().stream().map(ColumnValuePB::getValue).map(v -> switch (v.getValueCase()) {
                case INT_VALUE -> (Object) v.getIntValue();
                case STRING_VALUE -> v.getStringValue();
                default -> null;
            }).toList());
        }
        return result;
    }

    @Test
    void addRenameAndDropColumnsOverExistingRows() {
        ExternalMiniCluster cluster = extension.get();
        try (MasterClient masters = MasterDdlTest.masterClient(cluster)) {
            CreateTableRequestPB withIds = MasterDdlTest.createRequest("orders", 1, requestId(0));
            withIds = withIds.toBuilder().setSchema(withIds.getSchema().toBuilder().setColumns(1,
                    withIds.getSchema().getColumns(1).toBuilder().setId(7))).build();
            CreateTableRequestPB refusedCreate = withIds;
            assertThat(masters.call(stub -> stub.createTable(refusedCreate), r -> Optional.empty(), DEADLINE).getError()
                    .getMessage()).isEqualTo("table 'orders': column 'v' sets id 7; column ids are assigned by the "
                    + "master, leave them 0");

            CreateTableResponsePB created = masters.call(stub -> stub.createTable(
                    MasterDdlTest.createRequest("orders", 1, requestId(1))),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            assertThat(created.hasError()).as("create: %s", created.getError()).isFalse();
            String tableId = created.getTableId();
            MasterDdlTest.awaitCreated(masters, tableId);
            try (TabletClient tablet = tabletClient(masters, tableId)) {
                assertThat(tablet.write(insert(0, 1, "a"), DEADLINE).getRowErrorsList()).isEmpty();
                assertThat(tablet.write(insert(0, 2, "b"), DEADLINE).getRowErrorsList()).isEmpty();

                // Version 1: add qty, rename v to note. The retry (same request id) gets the first outcome,
                // not "a column named 'qty' exists".
                AlterTableStepPB[] first = {addColumn("qty", DataType.INT32), renameColumn("v", "note")};
                AlterTableResponsePB altered = alter(masters, "orders", requestId(2), first);
                assertThat(altered.hasError()).as("alter: %s", altered.getError()).isFalse();
                assertThat(altered.getSchemaVersion()).isEqualTo(1);
                assertThat(alter(masters, "orders", requestId(2), first)).isEqualTo(altered);
                awaitAlterDone(masters, tableId, 1);

                assertThatThrownBy(() -> tablet.write(insert(0, 9, "stale"), DEADLINE))
                        .isInstanceOfSatisfying(TabletClient.CallFailedException.class, e ->
                                assertThat(e.error()).map(error -> error.getCode()).contains(Code.SCHEMA_MISMATCH))
                        .hasMessageContaining("write uses schema version 0 but tablet")
                        .hasMessageContaining("has schema version 1; refresh the table's schema");
                assertThat(tablet.write(insert(1, 3, "c", 7), DEADLINE).getRowErrorsList()).isEmpty();
                assertThat(cells(tablet.scanAll(DEADLINE))).containsExactly(Arrays.asList(1L, "a", null),
                        Arrays.asList(2L, "b", null), List.of(3L, "c", 7L));

                // Version 2: drop note, rename the key column and the table.
                altered = alter(masters, "orders", requestId(3), dropColumn("note"), renameColumn("id", "order_id"),
                        renameTable("sales"));
                assertThat(altered.getSchemaVersion()).as("alter: %s", altered.getError()).isEqualTo(2);
                awaitAlterDone(masters, tableId, 2);
                assertThat(cells(tablet.scanAll(DEADLINE))).containsExactly(Arrays.asList(1L, null),
                        Arrays.asList(2L, null), List.of(3L, 7L));

                GetTableSchemaResponsePB schema = masters.call(stub -> stub.getTableSchema(GetTableSchemaRequestPB
                        .newBuilder().setTable(TableIdentifierPB.newBuilder().setName("sales")).build()),
                        r -> Optional.empty(), DEADLINE);
                assertThat(schema.getTable().getSchema().getColumnsList())
                        .extracting(c -> c.getId() + ":" + c.getName()).containsExactly("1:order_id", "3:qty");
                assertThat(alter(masters, "orders", requestId(4), renameTable("x")).getError().getCode())
                        .as("the old name is free").isEqualTo(Code.NOT_FOUND);

                AlterTableResponsePB refused = alter(masters, "sales", requestId(5), addColumn("more", DataType.INT64),
                        dropColumn("order_id"));
                assertThat(refused.getError().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
                assertThat(refused.getError().getMessage()).isEqualTo(
                        "step 1 of the alter of table 'sales': cannot drop key column 'order_id'");
                assertThat(alter(masters, "sales", requestId(5), renameTable("y")))
                        .as("a retried refusal is its first outcome").isEqualTo(refused);

                Poll.until("every replica to run schema version 2 as table 'sales'", DEADLINE, () -> {
                    int atVersion = 0;
                    for (ExternalServer server : cluster.tabletServers()) {
                        for (TabletReportPB report : server.tabletServerStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                                .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList()) {
                            if (report.getTablet().getSchema().getVersion() == 2
                                    && report.getTablet().getTableName().equals("sales")
                                    && report.getTablet().getSchema().getColumnsCount() == 2) {
                                atVersion++;
                            }
                        }
                    }
                    return atVersion == 3;
                });
                assertThat(masters.call(stub -> stub.getTableSchema(GetTableSchemaRequestPB.newBuilder()
                        .setTable(TableIdentifierPB.newBuilder().setName("sales")).build()), r -> Optional.empty(),
                        DEADLINE).getTable().getSchema().getVersion()).as("the refused alter changed nothing").isEqualTo(2);
            }
        }
    }

    static TabletClient tabletClient(MasterClient masters, String tableId) {
        GetTableLocationsResponsePB locations = masters.call(stub -> stub.getTableLocations(
                GetTableLocationsRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(tableId)).build()),
                r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
        assertThat(locations.getTabletsList()).hasSize(1);
        List<HostPort> replicas = locations.getTablets(0).getReplicasList().stream().map(ReplicaLocationPB::getServer)
                .map(server -> new HostPort(server.getAddress().getHost(), server.getAddress().getPort())).toList();
        return new TabletClient(locations.getTablets(0).getTabletId(), () -> replicas, Duration.ofSeconds(2));
    }
}
