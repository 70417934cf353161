package basalt.cli;

import basalt.cli.rpc.ClusterClient;
import basalt.cli.rpc.TableRoute;
import basalt.cli.table.HashSpec;
import basalt.cli.table.RowJson;
import basalt.cli.table.TableDdl;
import basalt.proto.ErrorPB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.OperationType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.ReadMode;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import basalt.proto.TableEntryPB;
import basalt.proto.TabletLocationPB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import basalt.tablet.ColumnSchema;
import basalt.tablet.Schema;
import basalt.tablet.TabletException;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code basalt table list|describe|create|delete|insert|scan} (CLI.md). */
@Command(name = "table", mixinStandardHelpOptions = true, description = "Tables: catalog, DDL, small reads and writes.",
        subcommands = {TableCommand.ListCommand.class, TableCommand.DescribeCommand.class, TableCommand.CreateCommand.class,
                TableCommand.DeleteCommand.class, TableCommand.InsertCommand.class, TableCommand.ScanCommand.class})
final class TableCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand (list, describe, create, delete, insert, scan)");
    }

    static Optional<ErrorPB> errorOf(boolean has, ErrorPB error) {
        return has ? Optional.of(error) : Optional.empty();
    }

    /** A master's final refusal, as the one line CLI.md wants on stderr. */
    static IllegalStateException failed(String what, ErrorPB error) {
        return new IllegalStateException(what + ": " + error.getCode() + " " + error.getMessage());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every table: name, id, number of tablets.")
    static final class ListCommand extends ClientCommand {
        @Mixin
        Format format;

        @Override
        void validate() {
            json(format);
        }

        @Override
        int run(ClusterClient client) {
            ListTablesResponsePB response = client.master(stub -> stub.listTables(ListTablesRequestPB.getDefaultInstance()),
                    r -> errorOf(r.hasError(), r.getError()), deadline());
            if (response.hasError()) {
                throw failed("list tables", response.getError());
            }
            List<TableEntryPB> tables = new ArrayList<>(response.getTablesList());
            tables.sort(java.util.Comparator.comparing(TableEntryPB::getName));
            if (json(format)) {
                JsonArray list = new JsonArray();
                for (TableEntryPB table : tables) {
                    JsonObject entry = new JsonObject();
                    entry.addProperty("name", table.getName());
                    entry.addProperty("id", table.getTableId());
                    entry.addProperty("num_tablets", table.getNumTablets());
                    entry.addProperty("state", table.getState().name().replace("TABLE_", ""));
                    list.add(entry);
                }
                printJson(list);
                return 0;
            }
            out().printf("%-24s %-34s %-8s %s%n", "name", "id", "tablets", "state");
            for (TableEntryPB table : tables) {
                out().printf("%-24s %-34s %-8d %s%n", table.getName(), table.getTableId(), table.getNumTablets(),
                        table.getState().name().replace("TABLE_", ""));
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true, description = "A table's schema, partitioning and tablets.")
    static final class DescribeCommand extends ClientCommand {
        @Mixin
        Format format;

        @Parameters(index = "0", paramLabel = "TABLE")
        String table;

        @Override
        void validate() {
            json(format);
        }

        @Override
        int run(ClusterClient client) {
            TableRoute route = TableRoute.lookup(client, table, deadline());
            PartitionSchemaPB partitions = route.partitionSchema().toPB();
            if (json(format)) {
                JsonObject document = new JsonObject();
                document.addProperty("name", route.name());
                document.addProperty("id", route.tableId());
                document.addProperty("schema_version", route.schema().version());
                JsonArray columns = new JsonArray();
                for (ColumnSchema column : route.schema().columns()) {
                    JsonObject entry = new JsonObject();
                    entry.addProperty("name", column.name());
                    entry.addProperty("type", column.type().name());
                    entry.addProperty("key", column.key());
                    entry.addProperty("nullable", column.nullable());
                    columns.add(entry);
                }
                document.add("columns", columns);
                JsonArray hashColumns = new JsonArray();
                partitions.getHashColumnsList().forEach(hashColumns::add);
                document.add("hash_columns", hashColumns);
                document.addProperty("hash_buckets", route.partitionSchema().hashBuckets());
                JsonArray tablets = new JsonArray();
                for (TabletLocationPB tablet : route.tablets()) {
                    JsonObject entry = new JsonObject();
                    entry.addProperty("tablet_id", tablet.getTabletId());
                    entry.addProperty("hash_bucket", tablet.getPartition().getHashBucket());
                    JsonArray replicas = new JsonArray();
                    for (ReplicaLocationPB replica : tablet.getReplicasList()) {
                        JsonObject r = new JsonObject();
                        r.addProperty("uuid", replica.getServer().getUuid());
                        r.addProperty("rpc_address", ClusterClient.address(replica.getServer().getAddress()).toString());
                        r.addProperty("role", replica.getRole());
                        replicas.add(r);
                    }
                    entry.add("replicas", replicas);
                    tablets.add(entry);
                }
                document.add("tablets", tablets);
                printJson(document);
                return 0;
            }
            out().printf("table %s (id %s)%n", route.name(), route.tableId());
            out().printf("schema (version %d): %s%n", route.schema().version(), route.schema());
            out().printf("partitioning: %s%n", partitions.getHashColumnsCount() == 0 ? "one tablet"
                    : "hash(" + String.join(", ", partitions.getHashColumnsList()) + ") into "
                    + partitions.getHashBuckets() + " buckets");
            for (TabletLocationPB tablet : route.tablets()) {
                List<String> replicas = tablet.getReplicasList().stream().map(r -> r.getServer().getUuid() + "@"
                        + ClusterClient.address(r.getServer().getAddress()) + " " + r.getRole()).toList();
                out().printf("tablet %s bucket %d: %s%n", tablet.getTabletId(), tablet.getPartition().getHashBucket(),
                        String.join(", ", replicas));
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a table from a short schema spec.")
    static final class CreateCommand extends ClientCommand {
        @Parameters(index = "0", paramLabel = "TABLE")
        String table;

        @Option(names = "--schema", required = true,
                description = "Columns: name TYPE [KEY] [NOT NULL], comma-separated; key columns first. "
                        + "Example: \"id INT64 KEY, name STRING, v DOUBLE\"")
        String schemaSpec;

        @Option(names = "--hash", description = "Hash partitioning: COLUMN[,COLUMN...]:BUCKETS over key columns, e.g. id:4.")
        String hash;

        @Option(names = "--replicas", defaultValue = "3", description = "Replicas per tablet (default ${DEFAULT-VALUE}).")
        int replicas;

        private Schema schema;
        private PartitionSchemaPB partitions;

        @Override
        void validate() {
            if (table.isBlank()) {
                throw usage("the table name is empty");
            }
            try {
                schema = Schema.parse(schemaSpec);
            } catch (TabletException e) {
                throw usage("--schema: " + e.getMessage());
            }
            try {
                partitions = HashSpec.parse(hash, schema);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            if (replicas < 1 || replicas % 2 == 0) {
                throw usage("--replicas must be an odd number >= 1, not " + replicas);
            }
        }

        @Override
        int run(ClusterClient client) {
            String tableId = TableDdl.create(client, table, schema, partitions, replicas, deadline());
            out().printf("created table %s (id %s)%n", table, tableId);
            out().flush();
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a table and its tablets.")
    static final class DeleteCommand extends ClientCommand {
        @Parameters(index = "0", paramLabel = "TABLE")
        String table;

        @Override
        int run(ClusterClient client) {
            TableDdl.delete(client, table, deadline());
            out().printf("deleted table %s%n", table);
            out().flush();
            return 0;
        }
    }

    @Command(name = "insert", mixinStandardHelpOptions = true, description = "Insert one row given as a JSON object.")
    static final class InsertCommand extends ClientCommand {
        @Parameters(index = "0", paramLabel = "TABLE")
        String table;

        @Parameters(index = "1", paramLabel = "ROW", description = "The row, e.g. '{\"id\": 1, \"name\": \"x\"}'.")
        String row;

        @Option(names = "--upsert", description = "Overwrite a row with the same key instead of failing.")
        boolean upsert;

        @Override
        int run(ClusterClient client) {
            TableRoute route = TableRoute.lookup(client, table, deadline());
            RowJson.Cells cells;
            try {
                cells = RowJson.parse(route.schema(), row);
            } catch (IllegalArgumentException e) {
                throw usage("row: " + e.getMessage());
            }
            for (int i = 0; i < route.schema().keyColumnCount(); i++) {
                if (cells.cells()[i] == null) {
                    throw usage("row: key column '" + route.schema().column(i).name() + "' has no value");
                }
            }
            TabletLocationPB tablet = route.tabletFor(cells.cells());
            WriteRequestPB request = WriteRequestPB.newBuilder().setTabletId(tablet.getTabletId())
                    .setSchemaVersion(route.schema().version())
                    .addOperations(RowOperationPB.newBuilder().setType(upsert ? OperationType.UPSERT : OperationType.INSERT)
                            .setRow(cells.toPB(route.schema())))
                    .build();
            WriteResponsePB response = client.write(tablet.getTabletId(), TableRoute.replicas(tablet), request, deadline());
            if (response.hasError()) {
                throw failed("insert into " + table, response.getError());
            }
            if (response.getRowErrorsCount() > 0) {
                ErrorPB error = response.getRowErrors(0).getError();
                throw new IllegalStateException("insert into " + table + ": " + error.getCode() + " "
                        + error.getMessage().replaceFirst("^row 0: ", ""));
            }
            out().printf("inserted 1 row into %s%n", table);
            out().flush();
            return 0;
        }
    }

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = "Print a table's rows, one JSON object per line (tablet by tablet, key order within a tablet).")
    static final class ScanCommand extends ClientCommand {
        @Mixin
        Format format;

        @Parameters(index = "0", paramLabel = "TABLE")
        String table;

        @Option(names = "--limit", defaultValue = "0", description = "Stop after this many rows (0: all).")
        long limit;

        @Override
        void validate() {
            json(format);
            if (limit < 0) {
                throw usage("--limit must be >= 0, not " + limit);
            }
        }

        @Override
        int run(ClusterClient client) {
            TableRoute route = TableRoute.lookup(client, table, deadline());
            JsonArray rows = new JsonArray();
            boolean json = json(format);
            long count = 0;
            for (TabletLocationPB tablet : route.tablets()) {
                for (RowPB row : scanTablet(client, tablet, limit == 0 ? 0 : limit - count)) {
                    JsonObject rendered = RowJson.render(route.schema(), row);
                    if (json) {
                        rows.add(rendered);
                    } else {
                        out().println(toJson(rendered));
                    }
                    count++;
                }
                if (limit > 0 && count >= limit) {
                    break;
                }
            }
            if (json) {
                printJson(rows);
            } else {
                out().printf("(%d rows)%n", count);
            }
            out().flush();
            return 0;
        }

        /** Every row of a tablet at one snapshot, or the first {@code max} (0: all). */
        private List<RowPB> scanTablet(ClusterClient client, TabletLocationPB tablet, long max) {
            List<RowPB> rows = new ArrayList<>();
            ScanRequestPB.Builder request = ScanRequestPB.newBuilder().setTabletId(tablet.getTabletId())
                    .setReadMode(ReadMode.READ_AT_SNAPSHOT).setBatchMaxRows(1000);
            // Bounded: each batch returns at least one row or ends the scan, and the deadline bounds each call.
            for (int batch = 0; batch < 10_000_000; batch++) {
                if (max > 0) {
                    request.setLimit(max - rows.size());
                }
                ScanRequestPB current = request.build();
                ScanResponsePB response = client.tablet(tablet.getTabletId(), TableRoute.replicas(tablet), true,
                        stub -> stub.scan(current), r -> errorOf(r.hasError(), r.getError()), deadline());
                if (response.hasError()) {
                    throw failed("scan tablet " + tablet.getTabletId(), response.getError());
                }
                rows.addAll(response.getRowsList());
                if (!response.getHasMore() || (max > 0 && rows.size() >= max)) {
                    return rows;
                }
                request.setSnapshotTimestamp(response.getSnapshotTimestamp()).setResumeAfterKey(response.getLastKey());
            }
            throw new IllegalStateException("scan of tablet " + tablet.getTabletId() + " did not end");
        }
    }
}
