package basalt.itest.bench;

import basalt.common.net.HostPort;
import basalt.proto.ConsensusStatePB;
import basalt.proto.CreateTabletRequestPB;
import basalt.proto.CreateTabletResponsePB;
import basalt.proto.DeleteTabletRequestPB;
import basalt.proto.DeleteTabletResponsePB;
import basalt.proto.HeartbeatRequestPB;
import basalt.proto.HeartbeatResponsePB;
import basalt.proto.HostPortPB;
import basalt.proto.MasterServiceGrpc;
import basalt.proto.MembershipPB;
import basalt.proto.PeerPB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.TabletReportPB;
import basalt.proto.TabletServerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stand-ins for tablet servers, in this JVM, so the masters can hold a catalog of 100,000 tablets on a
 * 2-core machine: each answers CreateTablet and DeleteTablet at once, hosts nothing, and heartbeats to
 * every master like a real tablet server (a full report, then diffs, every 250 ms), reporting each of its
 * replicas as running, with the group's first-term leader leading. What the masters do with that (catalog,
 * placement, task rounds, reports, elections) is the real code, which is what a big-catalog failover
 * measures. Reports carry only the tablet's ids: the masters read nothing else from them.
 */
final class FakeTabletServerFleet implements AutoCloseable {
    private final List<FakeTabletServer> servers = new ArrayList<>();
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "fake-tserver-heartbeats");
        thread.setDaemon(true);
        return thread;
    });

    FakeTabletServerFleet(int count, List<HostPort> masters, long heartbeatIntervalMs) throws IOException {
        for (int i = 0; i < count; i++) {
            servers.add(new FakeTabletServer(masters));
        }
        heartbeats.scheduleWithFixedDelay(() -> servers.forEach(FakeTabletServer::heartbeat), 0, heartbeatIntervalMs,
                TimeUnit.MILLISECONDS);
    }

    int replicas() {
        return servers.stream().mapToInt(server -> server.tablets.size()).sum();
    }

    @Override
    public void close() {
        heartbeats.shutdownNow();
        servers.forEach(FakeTabletServer::close);
    }

    private static final class FakeTabletServer extends TabletServerServiceGrpc.TabletServerServiceImplBase {
        private final String uuid = UUID.randomUUID().toString().replace("-", "");
        private final Server server;
        private final PeerPB self;
        private final Map<String, TabletReportPB> tablets = new ConcurrentHashMap<>();
        private final List<MasterLink> links = new ArrayList<>();

        FakeTabletServer(List<HostPort> masters) throws IOException {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build().start();
            self = PeerPB.newBuilder().setUuid(uuid)
                    .setAddress(HostPortPB.newBuilder().setHost("127.0.0.1").setPort(server.getPort())).build();
            for (HostPort master : masters) {
                links.add(new MasterLink(master));
            }
        }

        @Override
        public void createTablet(CreateTabletRequestPB request, StreamObserver<CreateTabletResponsePB> response) {
            TabletMetadataPB tablet = request.getTablet();
            List<String> voters = request.getPeersList().stream().map(PeerPB::getUuid).toList();
            String leader = request.getFirstTermLeader().isEmpty() ? voters.get(0) : request.getFirstTermLeader();
            boolean leads = leader.equals(uuid);
            tablets.putIfAbsent(tablet.getTabletId(), TabletReportPB.newBuilder()
                    .setTablet(TabletMetadataPB.newBuilder().setTabletId(tablet.getTabletId()).setTableId(tablet.getTableId()))
                    .setState("RUNNING")
                    .setConsensus(ConsensusStatePB.newBuilder().setGroupId(tablet.getTabletId()).setSelf(uuid)
                            .setRole(leads ? "leader" : "follower").setTerm(1).setLeaderUuid(leader).setLeaderReady(leads)
                            .setCommitIndex(1).setMembership(MembershipPB.newBuilder().addAllVoters(voters)))
                    .build());
            response.onNext(CreateTabletResponsePB.getDefaultInstance());
            response.onCompleted();
        }

        @Override
        public void deleteTablet(DeleteTabletRequestPB request, StreamObserver<DeleteTabletResponsePB> response) {
            tablets.remove(request.getTabletId());
            response.onNext(DeleteTabletResponsePB.getDefaultInstance());
            response.onCompleted();
        }

        void heartbeat() {
            links.forEach(MasterLink::send);
        }

        void close() {
            links.forEach(link -> link.channel.shutdownNow());
            server.shutdownNow();
        }

        /** One master: a full report until it acknowledges one, then diffs (none, mostly) against it. */
        private final class MasterLink {
            final ManagedChannel channel;
            final MasterServiceGrpc.MasterServiceStub stub;
            final AtomicBoolean inFlight = new AtomicBoolean();
            volatile Map<String, TabletReportPB> acknowledged = Map.of();
            volatile long acknowledgedSequence;
            long nextSequence = 1;

            MasterLink(HostPort master) {
                channel = NettyChannelBuilder.forAddress(master.host(), master.port()).usePlaintext()
                        .maxInboundMessageSize(64 << 20).build();
                stub = MasterServiceGrpc.newStub(channel);
            }

            void send() {
                if (!inFlight.compareAndSet(false, true)) {
                    return;
                }
                Map<String, TabletReportPB> current = Map.copyOf(tablets);
                HeartbeatRequestPB.Builder request = HeartbeatRequestPB.newBuilder().setServer(self)
                        .setReportSequence(nextSequence++);
                if (acknowledgedSequence == 0) {
                    request.setFullReport(true).addAllTablets(current.values());
                } else {
                    request.setBaseSequence(acknowledgedSequence);
                    current.forEach((id, report) -> {
                        if (!report.equals(acknowledged.get(id))) {
                            request.addTablets(report);
                        }
                    });
                    acknowledged.keySet().stream().filter(id -> !current.containsKey(id)).forEach(request::addRemovedTabletIds);
                }
                HeartbeatRequestPB sent = request.build();
                stub.withDeadlineAfter(10, TimeUnit.SECONDS).heartbeat(sent, new StreamObserver<>() {
                    @Override
                    public void onNext(HeartbeatResponsePB answer) {
                        if (answer.getNeedsFullReport()) {
                            acknowledgedSequence = 0;
                        } else {
                            acknowledged = current;
                            acknowledgedSequence = sent.getReportSequence();
                        }
                    }

                    @Override
                    public void onError(Throwable failure) {
                        inFlight.set(false);
                    }

                    @Override
                    public void onCompleted() {
                        inFlight.set(false);
                    }
                });
            }
        }
    }
}
