package basalt.itest.tablet;

import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.workload.TabletClient;
import basalt.itest.workload.TestTables;
import basalt.proto.CreateTabletResponsePB;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.PeerPB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.TabletReportPB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A tablet replicated on every tablet server of a mini cluster, created directly (no master yet). */
final class ReplicatedTabletCluster {
    static final String TABLET = "0123456789abcdef0123456789abcdef";

    private ReplicatedTabletCluster() {}

    static void createTablet(ExternalMiniCluster cluster) {
        createTablet(cluster, TestTables.keyValueTablet(TABLET));
    }

    /** Creates {@code tablet} (its id should be {@link #TABLET}, which the clients here address). */
    static void createTablet(ExternalMiniCluster cluster, TabletMetadataPB tablet) {
        List<PeerPB> peers = new ArrayList<>();
        for (ExternalServer server : cluster.tabletServers()) {
            HostPort address = server.rpcAddress();
            peers.add(TestTables.peer(server.uuid(), address.host(), address.port()));
        }
        for (ExternalServer server : cluster.tabletServers()) {
            CreateTabletResponsePB response = server.tabletServerStub()
                    .createTablet(TestTables.createRequest(tablet, peers));
            if (response.hasError()) {
                throw new IllegalStateException("create tablet on " + server.name() + ": " + response.getError());
            }
        }
    }

    static TabletClient client(ExternalMiniCluster cluster) {
        return new TabletClient(TABLET, () -> cluster.tabletServers().stream()
                .filter(ExternalServer::isAlive).map(ExternalServer::rpcAddress).toList(), Duration.ofSeconds(2));
    }

    /** The server whose replica leads the tablet now, by asking every live server. */
    static Optional<ExternalServer> leader(ExternalMiniCluster cluster) {
        for (ExternalServer server : cluster.tabletServers()) {
            if (!server.isAlive() || server.isPaused()) {
                continue;
            }
            try {
                for (TabletReportPB report : server.tabletServerStub()
                        .listTablets(ListTabletsRequestPB.getDefaultInstance()).getTabletsList()) {
                    if (report.getTablet().getTabletId().equals(TABLET) && report.getConsensus().getRole().equals("leader")
                            && report.getConsensus().getLeaderReady()) {
                        return Optional.of(server);
                    }
                }
            } catch (RuntimeException unreachable) {
                // a server that does not answer leads nothing we can use
            }
        }
        return Optional.empty();
    }
}
