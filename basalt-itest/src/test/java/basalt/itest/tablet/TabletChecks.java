package basalt.itest.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.workload.TabletClient;
import basalt.itest.workload.TestTables;
import basalt.proto.ChecksumRequestPB;
import basalt.proto.ChecksumResponsePB;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.RowPB;
import basalt.proto.TabletReportPB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The checks every failure test ends with: nothing acknowledged is lost, nothing is made up, replicas agree. */
final class TabletChecks {
    private static final Duration RPC_DEADLINE = Duration.ofSeconds(3);

    private TabletChecks() {}

    /** The report of {@code tablet} on {@code server} (bounded RPC); empty when it hosts no such replica. */
    static Optional<TabletReportPB> report(ExternalServer server, String tablet) {
        return server.tabletServerStub().withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList().stream()
                .filter(report -> report.getTablet().getTabletId().equals(tablet)).findFirst();
    }

    static ChecksumResponsePB checksum(ExternalServer server, String tablet, long snapshotTimestamp) {
        return server.tabletServerStub().withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .checksum(ChecksumRequestPB.newBuilder().setTabletId(tablet).setSnapshotTimestamp(snapshotTimestamp)
                        .build());
    }

    static ExternalServer awaitLeader(ExternalMiniCluster cluster, Duration timeout) {
        return Poll.forValue("a ready leader of " + ReplicatedTabletCluster.TABLET, timeout,
                () -> ReplicatedTabletCluster.leader(cluster));
    }

    /**
     * Scans the whole tablet at the leader: every acknowledged key is there with its acknowledged value, and
     * every row there is a key the writer tried, with the value it tried (a write of unknown outcome may or
     * may not be there). Returns the number of rows.
     */
    static int assertNoAckedWriteLost(TabletClient client, Map<Long, String> acked, Map<Long, String> attempted) {
        List<RowPB> rows = client.scanAll(Duration.ofSeconds(30));
        Map<Long, String> found = new HashMap<>();
        List<String> madeUp = new ArrayList<>();
        for (RowPB row : rows) {
            long key = TestTables.idOf(row);
            String value = TestTables.valueOf(row);
            found.put(key, value);
            if (!value.equals(attempted.get(key))) {
                madeUp.add(key + "=" + value + " (written: " + attempted.get(key) + ")");
            }
        }
        assertThat(madeUp).as("rows nobody wrote").isEmpty();
        List<String> lost = new ArrayList<>();
        for (Map.Entry<Long, String> ack : acked.entrySet()) {
            String value = found.get(ack.getKey());
            if (!ack.getValue().equals(value)) {
                lost.add(ack.getKey() + ": acknowledged " + ack.getValue() + ", read " + value);
            }
        }
        assertThat(lost).as("acknowledged writes missing or changed (of %d acknowledged)", acked.size()).isEmpty();
        return rows.size();
    }

    /** What the replicas agreed on: the snapshot timestamp, checksum and row count. */
    record Agreement(long snapshotTimestamp, long checksum, long rows, long appliedIndex) {}

    /**
     * Waits until every tablet server's replica has applied as much as the leader had when it computed a
     * checksum at its safe time, then asks each for the checksum at that same timestamp: all must be equal.
     * Call with writes stopped. A disagreement is retried (the leader may change) until the deadline, and
     * the last one is reported.
     */
    static Agreement awaitConverged(ExternalMiniCluster cluster, Duration timeout) {
        String tablet = ReplicatedTabletCluster.TABLET;
        return Poll.forValue("every replica of " + tablet + " to agree on a checksum", timeout, () -> {
            Optional<ExternalServer> leader = ReplicatedTabletCluster.leader(cluster);
            if (leader.isEmpty()) {
                return Optional.empty();
            }
            ChecksumResponsePB atLeader = checksum(leader.get(), tablet, 0);
            if (atLeader.hasError()) {
                throw new IllegalStateException("leader checksum: " + atLeader.getError());
            }
            long leaderApplied = report(leader.get(), tablet).orElseThrow().getConsensus().getAppliedIndex();
            for (ExternalServer server : cluster.tabletServers()) {
                TabletReportPB report = report(server, tablet).orElseThrow(
                        () -> new IllegalStateException(server.name() + " hosts no replica"));
                long applied = report.getConsensus().getAppliedIndex();
                if (applied < leaderApplied) {
                    throw new IllegalStateException(server.name() + " applied " + applied + " < leader's " + leaderApplied);
                }
                ChecksumResponsePB replica = checksum(server, tablet, atLeader.getSnapshotTimestamp());
                if (replica.hasError()) {
                    throw new IllegalStateException(server.name() + " checksum: " + replica.getError());
                }
                if (replica.getChecksum() != atLeader.getChecksum() || replica.getRows() != atLeader.getRows()) {
                    throw new IllegalStateException(server.name() + " disagrees at " + atLeader.getSnapshotTimestamp()
                            + ": checksum " + Long.toHexString(replica.getChecksum()) + " rows " + replica.getRows()
                            + " vs leader " + leader.get().name() + " " + Long.toHexString(atLeader.getChecksum())
                            + " rows " + atLeader.getRows() + " (applied " + applied + " vs " + leaderApplied + ")");
                }
            }
            return Optional.of(new Agreement(atLeader.getSnapshotTimestamp(), atLeader.getChecksum(), atLeader.getRows(),
                    leaderApplied));
        });
    }

    /** Restarts killed servers on their old ports: launches all first, then waits for each (in parallel). */
    static void startAgainAll(List<ExternalServer> servers, Duration timeout) {
        for (ExternalServer server : servers) {
            int rpcPort = server.infoOrThrow().rpcAddress().port();
            int webPort = server.webAddress().map(a -> a.port()).orElse(0);
            server.launch(rpcPort, webPort);
        }
        for (ExternalServer server : servers) {
            server.awaitReady(timeout);
        }
    }

    /** Prints a measurement in a form that is easy to grep out of the surefire reports. */
    static void measure(String what, Object value) {
        System.out.println("[basalt-measure] " + what + ": " + value);
    }
}
