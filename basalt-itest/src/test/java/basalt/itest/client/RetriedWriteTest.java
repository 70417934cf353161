package basalt.itest.client;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.client.BasaltClient;
import basalt.client.BasaltTable;
import basalt.client.Scanner;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import basalt.proto.ColumnValuePB;
import basalt.proto.OperationType;
import basalt.proto.RequestIdPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.TabletServerServiceGrpc;
import basalt.proto.ValuePB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import com.google.common.util.concurrent.ListenableFuture;
import java.time.Duration;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: a write request is applied once however often it is sent: twice at once to the leader (the second
 * waits for the first), again afterwards, and again to the new leader after the old one is killed -9.
 * Every answer is the first outcome (same timestamp, no ALREADY_PRESENT), and the rows are there once.
 *
 * <p>Method: raw TabletServerService calls with one request id (a client would resend exactly this on a
 * retry), on a table of one tablet with 3 replicas.
 */
class RetriedWriteTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(3));

    @Test
    void aRequestSentAgainAndAfterALeaderChangeIsAppliedOnce() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        try (BasaltClient client = ClientClusters.client(cluster)) {
            BasaltTable table = ClientClusters.createKeyValueTable(client, "retried", 1);
            String tablet = ClientClusters.tabletIds(cluster, table.tableId()).get(0);
            WriteRequestPB request = WriteRequestPB.newBuilder().setTabletId(tablet)
                    .addOperations(insert(1, "one")).addOperations(insert(2, "two"))
                    .setRequestId(RequestIdPB.newBuilder().setClientId("retried-write-test").setSequence(1)
                            .setFirstIncompleteSequence(1)).build();

            ExternalServer leader = ClientClusters.awaitLeaderOf(cluster, tablet, WAIT);
            TabletServerServiceGrpc.TabletServerServiceFutureStub stub = TabletServerServiceGrpc.newFutureStub(leader.channel());
            ListenableFuture<WriteResponsePB> firstCall = stub.withDeadlineAfter(10, TimeUnit.SECONDS).write(request);
            ListenableFuture<WriteResponsePB> concurrentRetry = stub.withDeadlineAfter(10, TimeUnit.SECONDS).write(request);
            WriteResponsePB first = firstCall.get(10, TimeUnit.SECONDS);
            assertThat(first.hasError()).as("%s", first).isFalse();
            assertThat(first.getRowErrorsList()).isEmpty();
            assertThat(concurrentRetry.get(10, TimeUnit.SECONDS)).isEqualTo(first);
            assertThat(leader.tabletServerStub().withDeadlineAfter(10, TimeUnit.SECONDS).write(request)).isEqualTo(first);
            assertThat(retriesCounted(leader)).as("the leader's /metrics counts both retries (joined or replayed)")
                    .isEqualTo(2);

            leader.kill();
            WriteResponsePB afterFailover = Poll.forValue("the retry answered by a new leader", WAIT, () -> {
                Optional<ExternalServer> next = ClientClusters.leaderOf(cluster, tablet);
                if (next.isEmpty()) {
                    return Optional.empty();
                }
                WriteResponsePB answer = next.get().tabletServerStub().withDeadlineAfter(5, TimeUnit.SECONDS).write(request);
                return answer.hasError() ? Optional.empty() : Optional.of(answer);
            });
            assertThat(afterFailover).isEqualTo(first);

            TreeMap<Long, String> rows;
            try (Scanner scanner = client.newScannerBuilder(table).build()) {
                rows = ClientClusters.readAll(scanner);
            }
            assertThat(rows).containsExactlyEntriesOf(new TreeMap<>(java.util.Map.of(1L, "one", 2L, "two")));
        }
    }

    static RowOperationPB insert(long id, String value) {
        return RowOperationPB.newBuilder().setType(OperationType.INSERT).setRow(RowPB.newBuilder()
                .addValues(ColumnValuePB.newBuilder().setColumn(0).setValue(ValuePB.newBuilder().setIntValue(id)))
                .addValues(ColumnValuePB.newBuilder().setColumn(1).setValue(ValuePB.newBuilder().setStringValue(value))))
                .build();
    }

    /** The sum of basalt_tablet_write_retries_total over its outcomes, from the server's /metrics page. */
    private static long retriesCounted(ExternalServer server) throws Exception {
        basalt.common.net.HostPort web = server.webAddress().orElseThrow();
        java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + web + "/metrics"))
                        .timeout(java.time.Duration.ofSeconds(10)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return page.body().lines().filter(line -> line.startsWith("basalt_tablet_write_retries_total{"))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
