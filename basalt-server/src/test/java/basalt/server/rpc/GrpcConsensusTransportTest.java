package basalt.server.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import basalt.consensus.driver.DriverPool;
import basalt.consensus.driver.GroupDriver;
import basalt.consensus.driver.GroupOptions;
import basalt.consensus.wal.WalOptions;
import basalt.proto.ChangeMembershipRequestPB;
import basalt.proto.ChangeMembershipResponsePB;
import basalt.proto.ConsensusStateRequestPB;
import basalt.proto.ConsensusStateResponsePB;
import basalt.proto.FaultRequestPB;
import basalt.proto.HostPortPB;
import basalt.proto.PeerPB;
import basalt.proto.TransferLeadershipRequestPB;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three servers in one JVM, each with its own gRPC server on 127.0.0.1 (OS-chosen ports) and its own
 * transport, hosting one replica each of one group: elections, replication, cuts and heals injected in
 * the transports, a restart on the same port, and a tablet copy of many chunks, all over real sockets.
 * Waits are conditions with deadlines, never sleeps.
 */
class GrpcConsensusTransportTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final String GROUP = "tablet-1";

    @TempDir
    Path dir;

    private final DriverPool pool = new DriverPool(2, 10);
    private final List<LoopbackNode> nodes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        nodes.forEach(LoopbackNode::stop);
        pool.close();
    }

    /**
     * Goal: a group forms over gRPC, elects, and replicates 1,000 pipelined proposals to every replica;
     * the admin calls report its state and move its leadership. Method: propose all at once on the leader.
     */
    @Test
    void electsAndReplicatesThousandProposals() throws Exception {
        startCluster(TransportOptions.DEFAULTS, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        LoopbackNode leader = awaitLeader();
        List<CompletableFuture<Object>> results = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            results.add(leader.driver.propose(ByteString.copyFromUtf8("k" + (i % 100) + "=v" + i)));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        awaitSameState(leader);
        System.out.println("1,000 pipelined proposals, leader transport: " + leader.transport.stats());
        assertThat(leader.stateMachine.values()).hasSize(100).containsEntry("k99", "v999");
        assertThat(leader.transport.stats().batchesSent()).isLessThanOrEqualTo(leader.transport.stats().messagesSent());

        LoopbackNode other = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        ConsensusStateResponsePB state = other.transport.blockingStub(leader.id)
                .getConsensusState(ConsensusStateRequestPB.getDefaultInstance());
        assertThat(state.getGroupsList()).singleElement().satisfies(group -> {
            assertThat(group.getRole()).isEqualTo("leader");
            assertThat(group.getCommitIndex()).isGreaterThanOrEqualTo(1000);
        });

        // No target named: the leader hands over to another voter.
        assertThat(other.transport.blockingStub(leader.id).transferLeadership(
                TransferLeadershipRequestPB.newBuilder().setGroupId(GROUP).build()).hasError()).isFalse();
        await(() -> nodes.stream().anyMatch(n -> n != leader && n.driver.status().leaderReady()), "another leader");
    }

    /**
     * Goal: a follower cut off both ways (through the fault-injection RPC) falls behind, and after the
     * heal catches up over its reconnected streams.
     */
    @Test
    void cutFollowerCatchesUpAfterHeal() throws Exception {
        startCluster(TransportOptions.DEFAULTS, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        LoopbackNode leader = awaitLeader();
        LoopbackNode follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        for (LoopbackNode other : nodes) {
            if (other != follower) {
                assertThat(leader.transport.faultStub(follower.id).inject(FaultRequestPB.newBuilder()
                        .setAction(FaultRequestPB.Action.CUT).setPeerUuid(other.id.value())
                        .setOutbound(true).setInbound(true).build()).hasError()).isFalse();
            }
        }
        for (int i = 0; i < 200; i++) {
            leader.driver.propose(ByteString.copyFromUtf8("k" + i + "=v" + i)).get(10, TimeUnit.SECONDS);
        }
        assertThat(follower.stateMachine.values()).doesNotContainKey("k199");
        assertThat(follower.faults.snapshot()).hasSize(2);

        leader.transport.faultStub(follower.id).inject(FaultRequestPB.newBuilder()
                .setAction(FaultRequestPB.Action.HEAL).build());
        assertThat(follower.faults.snapshot()).isEmpty();
        awaitSameState(leader);
    }

    /** Goal: when the leader's messages no longer leave it, the others elect a new leader (check-quorum, pre-vote). */
    @Test
    void leaderWithOutboundCutIsReplaced() throws Exception {
        startCluster(TransportOptions.DEFAULTS, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        LoopbackNode old = awaitLeader();
        old.driver.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        for (LoopbackNode other : nodes) {
            if (other != old) {
                old.faults.cut(other.id, true, false);
            }
        }
        LoopbackNode fresh = awaitLeaderOtherThan(old);
        fresh.driver.propose(ByteString.copyFromUtf8("b=2")).get(10, TimeUnit.SECONDS);
        assertThat(old.transport.stats().droppedByFault()).isPositive();
        old.faults.healAll();
        awaitSameState(fresh);
        assertThat(old.stateMachine.values()).containsEntry("b", "2");
    }

    /**
     * Goal: a server shut down and restarted on the same port is reconnected to by the others' back-off
     * without anyone telling them, and catches up from its WAL plus the leader.
     */
    @Test
    void serverRestartedOnSamePortIsReconnectedAndCatchesUp() throws Exception {
        startCluster(TransportOptions.DEFAULTS, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        LoopbackNode leader = awaitLeader();
        leader.driver.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        LoopbackNode restarted = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        int port = restarted.port;
        restarted.stop();
        for (int i = 0; i < 100; i++) {
            leader.driver.propose(ByteString.copyFromUtf8("k" + i + "=v" + i)).get(10, TimeUnit.SECONDS);
        }
        await(() -> leader.transport.stats().streamFailures() > 0, "the leader notices the stream failed");

        restarted.startServer(port);
        assertThat(restarted.port).isEqualTo(port);
        restarted.openGroup(GROUP, Membership.ofVoters(ids()), pool, WalOptions.defaults(),
                GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        awaitSameState(leader);
        assertThat(restarted.stateMachine.values()).containsEntry("k99", "v99").containsEntry("a", "1");
    }

    /**
     * Goal: a follower behind the leader's collected WAL gets a tablet copy much larger than one chunk,
     * reassembled whole. Method: 4 KiB chunks, small WAL segments, the follower isolated while 2,000
     * entries commit and the others' state machines flush so the WAL is collected; then heal.
     */
    @Test
    void tabletCopyOfManyChunksArrivesWhole() throws Exception {
        TransportOptions smallChunks = TransportOptions.DEFAULTS.withTabletCopyChunkBytes(4096);
        startCluster(smallChunks, WalOptions.defaults().withSegmentSizeBytes(4096), 16 * 1024);
        LoopbackNode leader = awaitLeader();
        LoopbackNode lagging = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        for (LoopbackNode other : nodes) {
            if (other != lagging) {
                lagging.faults.cut(other.id, true, true);
            }
        }
        List<CompletableFuture<Object>> results = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            results.add(leader.driver.propose(ByteString.copyFromUtf8("key" + i + "=" + "x".repeat(64))));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (LoopbackNode node : nodes) {
            if (node != lagging) {
                await(() -> node.stateMachine.values().size() == 2000, node.id + " applied everything");
                node.stateMachine.flush();
            }
        }
        await(() -> leader.driver.status().walFirstIndex() > 1000, "the leader's WAL is collected");
        assertThat(leader.stateMachine.snapshot().size()).isGreaterThan(20 * 4096);

        lagging.faults.healAll();
        awaitSameState(leader);
        assertThat(leader.transport.stats().tabletCopiesSent()).isPositive();
        // Its state came whole from the copy, after which its WAL restarts past it (status lags the install).
        await(() -> lagging.driver.status().walFirstIndex() > 1000, "the lagging follower's WAL restarts after the copy");
    }

    /**
     * Goal: a server that comes back on another port is reached once the directories learn the new
     * address: the listener cancels the stream to the old address and the next one goes to the new.
     */
    @Test
    void serverMovedToAnotherPortIsReachedAfterDirectoryUpdate() throws Exception {
        startCluster(TransportOptions.DEFAULTS, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        LoopbackNode leader = awaitLeader();
        LoopbackNode moved = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        int oldPort = moved.port;
        moved.stop();
        leader.driver.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        moved.startServer(0);
        assertThat(moved.port).isNotEqualTo(oldPort);
        for (LoopbackNode node : nodes) {
            node.peers.put(moved.id, moved.address());
        }
        moved.openGroup(GROUP, Membership.ofVoters(ids()), pool, WalOptions.defaults(),
                GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        leader.driver.propose(ByteString.copyFromUtf8("b=2")).get(10, TimeUnit.SECONDS);
        awaitSameState(leader);
    }

    /**
     * Goal: an outbound delay holds messages back by at least its length and loses none. Method: delay
     * the leader's messages to both followers by 40 ms; one proposal then needs at least 40 ms to commit.
     */
    @Test
    void outboundDelaySlowsCommitWithoutLoss() throws Exception {
        startCluster(TransportOptions.DEFAULTS, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        LoopbackNode leader = awaitLeader();
        leader.driver.propose(ByteString.copyFromUtf8("warm=up")).get(10, TimeUnit.SECONDS);
        for (LoopbackNode other : nodes) {
            if (other != leader) {
                leader.faults.delay(other.id, 40);
            }
        }
        long start = System.nanoTime();
        leader.driver.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(40);
        leader.faults.healAll();
        awaitSameState(leader);
        assertThat(leader.transport.stats().droppedOverflow() + leader.transport.stats().droppedByFault()).isZero();
    }

    /**
     * Goal: ChangeMembership over RPC adds a learner whose address the leader did not know: the address
     * rides in the request, lands in the leader's peer directory, and the learner catches up.
     */
    @Test
    void addLearnerThroughRpcTeachesTheLeaderItsAddress() throws Exception {
        startCluster(TransportOptions.DEFAULTS, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        LoopbackNode leader = awaitLeader();
        leader.driver.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        LoopbackNode newcomer = new LoopbackNode(NodeId.of("uuid-4"), dir.resolve("n4"), TransportOptions.DEFAULTS);
        newcomer.startServer(0);
        for (LoopbackNode node : nodes) {
            newcomer.peers.put(node.id, node.address());
        }
        newcomer.openGroup(GROUP, Membership.ofVoters(List.of()), pool, WalOptions.defaults(),
                GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        nodes.add(newcomer);
        assertThat(leader.peers.lookup(newcomer.id)).isEmpty();

        ChangeMembershipResponsePB answer = newcomer.transport.blockingStub(leader.id).changeMembership(
                ChangeMembershipRequestPB.newBuilder().setGroupId(GROUP)
                        .setKind(ChangeMembershipRequestPB.Kind.ADD_LEARNER)
                        .setPeer(PeerPB.newBuilder().setUuid(newcomer.id.value()).setAddress(
                                HostPortPB.newBuilder().setHost("127.0.0.1").setPort(newcomer.port)))
                        .build());
        assertThat(answer.hasError()).as(answer.getError().getMessage()).isFalse();
        assertThat(answer.getOpId().getIndex()).isPositive();
        assertThat(leader.peers.lookup(newcomer.id)).contains(newcomer.address());
        await(() -> "1".equals(newcomer.stateMachine.values().get("a")), "the learner catches up");
    }

    // ---------------------------------------------------------------- helpers

    private void startCluster(TransportOptions options, WalOptions wal, long logCacheBytes) throws IOException {
        for (int i = 1; i <= 3; i++) {
            LoopbackNode node = new LoopbackNode(NodeId.of("uuid-" + i), dir.resolve("n" + i), options);
            node.startServer(0);
            nodes.add(node);
        }
        for (LoopbackNode node : nodes) {
            for (LoopbackNode peer : nodes) {
                node.peers.put(peer.id, new HostPort("127.0.0.1", peer.port));
            }
        }
        for (LoopbackNode node : nodes) {
            node.openGroup(GROUP, Membership.ofVoters(ids()), pool, wal, logCacheBytes);
        }
    }

    private List<NodeId> ids() {
        return nodes.stream().map(n -> n.id).toList();
    }

    private LoopbackNode awaitLeader() {
        return awaitLeaderOtherThan(null);
    }

    private LoopbackNode awaitLeaderOtherThan(LoopbackNode excluded) {
        LoopbackNode[] leader = new LoopbackNode[1];
        await(() -> {
            for (LoopbackNode node : nodes) {
                GroupDriver driver = node.driver;
                if (node != excluded && driver != null && driver.status().leaderReady()) {
                    leader[0] = node;
                    return true;
                }
            }
            return false;
        }, "a leader is elected and ready");
        return leader[0];
    }

    private void awaitSameState(LoopbackNode leader) {
        Map<String, String> expected = leader.stateMachine.values();
        for (LoopbackNode node : nodes) {
            await(() -> node.stateMachine.values().equals(expected), node.id + " holds the leader's state");
        }
    }

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + DEADLINE + " waiting until " + what);
            }
            try {
                Thread.sleep(5); // polling interval of a condition wait, not a sleep-and-hope
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what);
            }
        }
    }
}
