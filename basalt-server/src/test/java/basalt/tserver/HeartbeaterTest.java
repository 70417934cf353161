package basalt.tserver;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.proto.HeartbeatRequestPB;
import basalt.proto.HeartbeatResponsePB;
import basalt.proto.HostPortPB;
import basalt.proto.MasterServiceGrpc;
import basalt.proto.PeerPB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.TabletReportPB;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a tablet server's heartbeats reach every master it knows, it learns the master set from the
 * answers (so one address is enough to join), keeps it across restarts, and follows the leader of the
 * highest term.
 * Method: fake MasterServices on real loopback gRPC servers (port 0) answer what each test scripts; the
 * test drives rounds with {@link Heartbeater#heartbeatOnce()} and waits for each round to finish, so
 * nothing depends on timing.
 */
class HeartbeaterTest {
    private static final PeerPB SELF = PeerPB.newBuilder().setUuid("ts-uuid")
            .setAddress(HostPortPB.newBuilder().setHost("127.0.0.1").setPort(7050)).build();
    private static final List<TabletReportPB> REPORTS = List.of(TabletReportPB.newBuilder()
            .setTablet(TabletMetadataPB.newBuilder().setTabletId("t1")).setState("RUNNING").build());

    /** The first heartbeat of the run pays for gRPC and JIT warm-up, over a second at load 40. */
    private static final java.time.Duration COLD_JVM_DEADLINE = java.time.Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    private final List<FakeMaster> fakes = new ArrayList<>();
    private final List<Heartbeater> heartbeaters = new ArrayList<>();

    @AfterEach
    void tearDown() {
        heartbeaters.forEach(Heartbeater::close);
        fakes.forEach(FakeMaster::close);
    }

    @Test
    void everyKnownMasterGetsTheServerAndItsReportsEachRound() throws Exception {
        FakeMaster a = fake("a");
        FakeMaster b = fake("b");
        Heartbeater heartbeater = heartbeater(List.of(a.address(), b.address()));

        round(heartbeater);

        for (FakeMaster master : List.of(a, b)) {
            assertThat(master.received).hasSize(1);
            assertThat(master.received.get(0).getServer()).isEqualTo(SELF);
            assertThat(master.received.get(0).getTabletsList()).isEqualTo(REPORTS);
        }
        assertThat(heartbeater.heartbeatsSucceeded()).isEqualTo(2);
        assertThat(heartbeater.heartbeatsFailed()).isZero();
    }

    @Test
    void aDeadMasterIsCountedAsAFailureAndDoesNotHoldBackTheOthers() throws Exception {
        FakeMaster a = fake("a");
        HostPort dead = new HostPort("127.0.0.1", unusedPort());
        Heartbeater heartbeater = heartbeater(List.of(dead, a.address()));

        round(heartbeater);

        assertThat(a.received).hasSize(1);
        assertThat(heartbeater.heartbeatsFailed()).isEqualTo(1);
        assertThat(heartbeater.masters()).containsExactly(dead, a.address());
    }

    @Test
    void oneAddressIsEnoughToJoinAndTheLearnedSetSurvivesARestart() throws Exception {
        FakeMaster a = fake("a");
        FakeMaster b = fake("b");
        a.answer = HeartbeatResponsePB.newBuilder().setLeaderTerm(1).addMasters(a.peer()).addMasters(b.peer()).build();
        Heartbeater heartbeater = heartbeater(List.of(a.address()));

        round(heartbeater);
        assertThat(b.received).isEmpty();
        assertThat(heartbeater.masters()).containsExactly(a.address(), b.address());

        round(heartbeater);
        assertThat(b.received).hasSize(1);
        assertThat(a.received).hasSize(2);

        // A restart given only the first address still knows the second, from <fs_data_dir>/masters.
        heartbeater.close();
        Heartbeater restarted = heartbeater(List.of(a.address()));
        assertThat(restarted.masters()).containsExactly(a.address(), b.address());
    }

    @Test
    void theLeaderOfTheHighestTermWinsWhateverTheOrderOfAnswers() throws Exception {
        FakeMaster a = fake("a");
        FakeMaster b = fake("b");
        FakeMaster c = fake("c");
        a.answer = HeartbeatResponsePB.newBuilder().setLeader(true).setLeaderUuid("a").setLeaderTerm(3).build();
        b.answer = HeartbeatResponsePB.newBuilder().setLeader(true).setLeaderUuid("b").setLeaderTerm(5).build();
        // A follower that knows the leader of term 5 names it.
        c.answer = HeartbeatResponsePB.newBuilder().setLeaderUuid("b").setLeaderAddress(hostPortPB(b.address()))
                .setLeaderTerm(5).build();
        Heartbeater heartbeater = heartbeater(List.of(a.address(), b.address(), c.address()));

        round(heartbeater);
        assertThat(heartbeater.leaderMaster()).contains(new Heartbeater.LeaderMaster("b", b.address(), 5));

        // A deposed leader still claiming its old term changes nothing, in any later round.
        round(heartbeater);
        assertThat(heartbeater.leaderMaster()).contains(new Heartbeater.LeaderMaster("b", b.address(), 5));

        // A new term moves the leadership.
        a.answer = HeartbeatResponsePB.newBuilder().setLeader(true).setLeaderUuid("a").setLeaderTerm(6).build();
        b.answer = HeartbeatResponsePB.newBuilder().setLeaderUuid("a").setLeaderAddress(hostPortPB(a.address()))
                .setLeaderTerm(6).build();
        round(heartbeater);
        assertThat(heartbeater.leaderMaster()).contains(new Heartbeater.LeaderMaster("a", a.address(), 6));
    }

    @Test
    void theLeaderKnowsRemovalsButAFollowerOnlyAdds() throws Exception {
        FakeMaster a = fake("a");
        FakeMaster b = fake("b");
        FakeMaster c = fake("c");
        // The follower lags: it still lists b. The leader of term 2 has removed b and added c.
        b.answer = HeartbeatResponsePB.newBuilder().setLeaderTerm(2).addMasters(a.peer()).addMasters(b.peer()).build();
        a.answer = HeartbeatResponsePB.newBuilder().setLeader(true).setLeaderUuid("a").setLeaderTerm(2)
                .addMasters(a.peer()).addMasters(c.peer()).build();
        Heartbeater heartbeater = heartbeater(List.of(a.address(), b.address()));

        round(heartbeater);
        assertThat(heartbeater.masters()).containsExactlyInAnyOrder(a.address(), c.address());

        round(heartbeater);
        assertThat(c.received).hasSize(1);
        int heardByB = b.received.size();
        round(heartbeater);
        assertThat(b.received).hasSize(heardByB);
        assertThat(Heartbeater.loadMasters(dataDir.resolve(Heartbeater.MASTERS_FILE)))
                .containsExactlyInAnyOrder(a.address(), c.address());
    }

    @Test
    void anAnswerFromAnOlderTermTeachesNothingAboutTheSet() throws Exception {
        FakeMaster a = fake("a");
        FakeMaster stale = fake("stale");
        a.answer = HeartbeatResponsePB.newBuilder().setLeader(true).setLeaderUuid("a").setLeaderTerm(4)
                .addMasters(a.peer()).addMasters(stale.peer()).build();
        Heartbeater heartbeater = heartbeater(List.of(a.address(), stale.address()));
        round(heartbeater);

        HostPort ghost = new HostPort("127.0.0.1", unusedPort());
        stale.answer = HeartbeatResponsePB.newBuilder().setLeader(true).setLeaderUuid("stale").setLeaderTerm(2)
                .addMasters(stale.peer()).addMasters(PeerPB.newBuilder().setUuid("ghost")
                        .setAddress(hostPortPB(ghost))).build();
        round(heartbeater);

        assertThat(heartbeater.masters()).containsExactly(a.address(), stale.address());
        assertThat(heartbeater.leaderMaster()).contains(new Heartbeater.LeaderMaster("a", a.address(), 4));
    }

    @Test
    void aLeaderThatStepsDownIsForgotten() throws Exception {
        FakeMaster a = fake("a");
        a.answer = HeartbeatResponsePB.newBuilder().setLeader(true).setLeaderUuid("a").setLeaderTerm(2).build();
        Heartbeater heartbeater = heartbeater(List.of(a.address()));
        round(heartbeater);
        assertThat(heartbeater.leaderMaster()).isPresent();

        a.answer = HeartbeatResponsePB.newBuilder().setLeaderTerm(3).build();
        round(heartbeater);
        assertThat(heartbeater.leaderMaster()).isEmpty();
    }

    // ---- helpers ----

    @Test
    void newsWhileAHeartbeatIsInFlightIsSentAsSoonAsItFinishes() throws Exception {
        FakeMaster a = fake("a");
        a.holdFirst = new java.util.concurrent.CountDownLatch(1);
        List<TabletReportPB> current = new CopyOnWriteArrayList<>(REPORTS);
        Heartbeater heartbeater = new Heartbeater(SELF, () -> List.copyOf(current), List.of(a.address()), dataDir, 250, COLD_JVM_DEADLINE);
        heartbeaters.add(heartbeater);

        var first = heartbeater.heartbeatOnce();
        awaitCondition("the first heartbeat to arrive", () -> a.received.size() == 1);
        TabletReportPB news = REPORTS.get(0).toBuilder().setState("LEADING").build();
        current.set(0, news);
        heartbeater.heartbeatOnce(); // a plain round while busy: skipped, nothing owed
        heartbeater.heartbeatNow(); // news while busy: owed as soon as the first one finishes
        a.holdFirst.countDown();
        first.get(10, TimeUnit.SECONDS);

        awaitCondition("the news to be sent after the first heartbeat", () -> a.received.size() == 2);
        assertThat(a.received.get(1).getTabletsList()).containsExactly(news);
        assertThat(heartbeater.heartbeatsSkipped()).isEqualTo(2);
    }

    @Test
    void afterAFullReportAMasterGetsOnlyWhatChangedAndWhatWasRemoved() throws Exception {
        FakeMaster a = fake("a");
        TabletReportPB t1 = report("t1", "RUNNING");
        TabletReportPB t2 = report("t2", "RUNNING");
        List<TabletReportPB> current = new CopyOnWriteArrayList<>(List.of(t1, t2));
        Heartbeater heartbeater = new Heartbeater(SELF, () -> List.copyOf(current), List.of(a.address()), dataDir, 250, COLD_JVM_DEADLINE);
        heartbeaters.add(heartbeater);

        round(heartbeater);
        round(heartbeater);
        TabletReportPB t1Leading = report("t1", "LEADING");
        TabletReportPB t3 = report("t3", "RUNNING");
        current.clear();
        current.addAll(List.of(t1Leading, t3));
        round(heartbeater);

        HeartbeatRequestPB full = a.received.get(0);
        HeartbeatRequestPB nothingNew = a.received.get(1);
        HeartbeatRequestPB changes = a.received.get(2);
        assertThat(full.getFullReport()).isTrue();
        assertThat(full.getTabletsList()).containsExactly(t1, t2);
        assertThat(nothingNew.getFullReport()).isFalse();
        assertThat(nothingNew.getTabletsList()).isEmpty();
        assertThat(nothingNew.getBaseSequence()).isEqualTo(full.getReportSequence());
        assertThat(changes.getTabletsList()).containsExactly(t1Leading, t3);
        assertThat(changes.getRemovedTabletIdsList()).containsExactly("t2");
        assertThat(changes.getBaseSequence()).isEqualTo(nothingNew.getReportSequence());
    }

    @Test
    void aMasterThatLostOurReportsGetsAFullReportAtOnce() throws Exception {
        FakeMaster a = fake("a");
        Heartbeater heartbeater = heartbeater(List.of(a.address()));
        round(heartbeater);
        a.answer = HeartbeatResponsePB.newBuilder().setNeedsFullReport(true).build();
        round(heartbeater); // an incremental report, refused: the master restarted
        a.answer = HeartbeatResponsePB.getDefaultInstance();

        awaitCondition("a full report right after the refusal", () -> a.received.size() == 3);
        assertThat(a.received.get(1).getFullReport()).isFalse();
        assertThat(a.received.get(2).getFullReport()).isTrue();
        assertThat(a.received.get(2).getTabletsList()).isEqualTo(REPORTS);
    }

    private static TabletReportPB report(String tabletId, String state) {
        return TabletReportPB.newBuilder().setTablet(TabletMetadataPB.newBuilder().setTabletId(tabletId)).setState(state).build();
    }

    private static void awaitCondition(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5); // poll pacing, bounded by the deadline
        }
    }

    private Heartbeater heartbeater(List<HostPort> masters) throws IOException {
        Heartbeater heartbeater = new Heartbeater(SELF, () -> REPORTS, masters, dataDir, 250, COLD_JVM_DEADLINE);
        heartbeaters.add(heartbeater);
        return heartbeater;
    }

    /** One round, waited for; the deadline of each heartbeat bounds it, the timeout here only backs that up. */
    private static void round(Heartbeater heartbeater) throws Exception {
        heartbeater.heartbeatOnce().get(10, TimeUnit.SECONDS);
    }

    private FakeMaster fake(String uuid) throws IOException {
        FakeMaster fake = new FakeMaster(uuid);
        fakes.add(fake);
        return fake;
    }

    private static HostPortPB hostPortPB(HostPort address) {
        return HostPortPB.newBuilder().setHost(address.host()).setPort(address.port()).build();
    }

    /** A loopback port nothing listens on (closed right away; nothing in this test binds it after). */
    private static int unusedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** A MasterService that records every heartbeat and answers with {@link #answer}. */
    private static final class FakeMaster extends MasterServiceGrpc.MasterServiceImplBase {
        final String uuid;
        final List<HeartbeatRequestPB> received = new CopyOnWriteArrayList<>();
        volatile HeartbeatResponsePB answer = HeartbeatResponsePB.getDefaultInstance();
        private final Server server;

        FakeMaster(String uuid) throws IOException {
            this.uuid = uuid;
            this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this)
                    .build().start();
        }

        HostPort address() {
            return new HostPort("127.0.0.1", server.getPort());
        }

        PeerPB peer() {
            return PeerPB.newBuilder().setUuid(uuid).setAddress(hostPortPB(address())).build();
        }

        /** While closed, the first heartbeat waits here before it is answered (an in-flight heartbeat). */
        volatile java.util.concurrent.CountDownLatch holdFirst = new java.util.concurrent.CountDownLatch(0);

        @Override
        public void heartbeat(HeartbeatRequestPB request, StreamObserver<HeartbeatResponsePB> response) {
            received.add(request);
            if (received.size() == 1) {
                try {
                    holdFirst.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            response.onNext(answer);
            response.onCompleted();
        }

        void close() {
            server.shutdownNow();
        }
    }
}
