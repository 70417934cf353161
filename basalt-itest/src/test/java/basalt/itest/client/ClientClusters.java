package basalt.itest.client;

import basalt.client.BasaltClient;
import basalt.client.BasaltTable;
import basalt.client.ColumnSchema;
import basalt.client.CreateTableOptions;
import basalt.client.RowResult;
import basalt.client.Scanner;
import basalt.client.Schema;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.proto.DataType;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.TabletReportPB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** What the client tests share: a client of a mini cluster, a key-value table, and who leads which tablet. */
final class ClientClusters {
    static final Schema KEY_VALUE = new Schema(List.of(ColumnSchema.key("id", DataType.INT64),
            ColumnSchema.nullable("v", DataType.STRING)));

    private ClientClusters() {}

    static BasaltClient client(ExternalMiniCluster cluster) {
        return BasaltClient.builder(cluster.masters().stream().map(m -> m.rpcAddress().toString()).toList()).build();
    }

    static BasaltTable createKeyValueTable(BasaltClient client, String name, int buckets) {
        CreateTableOptions options = new CreateTableOptions().setNumReplicas(3);
        if (buckets > 1) {
            options.addHashPartitions(List.of("id"), buckets);
        }
        return client.createTable(name, KEY_VALUE, options);
    }

    /** Every row a scanner returns, as id -> v, failing on a key returned twice. */
    static TreeMap<Long, String> readAll(Scanner scanner) {
        TreeMap<Long, String> rows = new TreeMap<>();
        // Bounded: every batch but the last has rows, and tables here are finite.
        while (scanner.hasMoreRows()) {
            for (RowResult row : scanner.nextRows()) {
                String previous = rows.put(row.getLong("id"), row.isNull("v") ? null : row.getString("v"));
                if (previous != null) {
                    throw new AssertionError("key " + row.getLong("id") + " returned twice");
                }
            }
        }
        return rows;
    }

    /** The tablet server hosting the leader replica of a tablet, by its own report. */
    static Optional<ExternalServer> leaderOf(ExternalMiniCluster cluster, String tabletId) {
        for (ExternalServer server : cluster.tabletServers()) {
            if (!server.isAlive()) {
                continue;
            }
            try {
                for (TabletReportPB report : server.tabletServerStub().withDeadlineAfter(2, TimeUnit.SECONDS)
                        .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList()) {
                    if (report.getTablet().getTabletId().equals(tabletId)
                            && report.getConsensus().getRole().equals("leader") && report.getConsensus().getLeaderReady()) {
                        return Optional.of(server);
                    }
                }
            } catch (RuntimeException unreachable) {
                // a server starting or stopping: ask the others
            }
        }
        return Optional.empty();
    }

    static ExternalServer awaitLeaderOf(ExternalMiniCluster cluster, String tabletId, Duration timeout) {
        return Poll.forValue("a leader of tablet " + tabletId, timeout, () -> leaderOf(cluster, tabletId));
    }

    /** The ids of a table's tablets, as the tablet servers report them. */
    static List<String> tabletIds(ExternalMiniCluster cluster, String tableId) {
        List<String> ids = new ArrayList<>();
        for (TabletReportPB report : cluster.tabletServer(0).tabletServerStub().withDeadlineAfter(5, TimeUnit.SECONDS)
                .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList()) {
            if (report.getTablet().getTableId().equals(tableId)) {
                ids.add(report.getTablet().getTabletId());
            }
        }
        return ids;
    }
}
