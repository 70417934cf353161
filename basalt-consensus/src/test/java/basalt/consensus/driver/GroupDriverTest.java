package basalt.consensus.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.Membership;
import basalt.consensus.core.Message;
import basalt.consensus.core.MembershipChange;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.consensus.core.RaftConfig;
import basalt.consensus.wal.WalOptions;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver on real WALs and metadata files, with groups talking over the in-memory network: elections,
 * replication, restarts from disk, WAL GC with tablet copy, the bounded log cache and refusal to start
 * without metadata. Waits are conditions with deadlines, never sleeps.
 */
class GroupDriverTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final String GROUP = "tablet-1";

    @TempDir
    Path dir;

    private final DriverPool pool = new DriverPool(2, 10);
    private final InMemoryNetwork network = new InMemoryNetwork();
    private final Map<NodeId, KeyValueStateMachine.Disk> disks = new TreeMap<>();
    private final Map<NodeId, KeyValueStateMachine> stateMachines = new TreeMap<>();
    private final Map<NodeId, GroupDriver> replicas = new java.util.concurrent.ConcurrentSkipListMap<>();
    /** Lets a test watch what replicas send. */
    private java.util.function.UnaryOperator<Transport> transportWrapper = inner -> inner;

    @AfterEach
    void closeAll() {
        replicas.values().forEach(GroupDriver::close);
        pool.close();
    }

    /** Goal: three replicas elect one leader and apply the same proposals in the same order. */
    @Test
    void threeReplicasReplicateProposals() throws Exception {
        List<NodeId> ids = startGroup(3, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver leader = awaitLeader();
        List<CompletableFuture<Object>> results = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            results.add(leader.propose(ByteString.copyFromUtf8("k" + (i % 10) + "=v" + i)));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        Map<String, String> expected = stateMachines.get(leader.self()).values();
        assertThat(expected).hasSize(10).containsEntry("k9", "v499");
        for (NodeId id : ids) {
            await(() -> stateMachines.get(id).values().equals(expected), id + " holds the leader's state");
        }
    }

    /**
     * Goal: a crashed leader is replaced, writes continue, and the old leader restarts from its WAL and
     * metadata and catches up to the same state.
     */
    @Test
    void leaderCrashThenRestartCatchesUp() throws Exception {
        List<NodeId> ids = startGroup(3, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver first = awaitLeader();
        first.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        NodeId firstId = first.self();
        crash(firstId);

        GroupDriver second = awaitLeader();
        assertThat(second.self()).isNotEqualTo(firstId);
        second.propose(ByteString.copyFromUtf8("b=2")).get(10, TimeUnit.SECONDS);

        start(firstId, Membership.ofVoters(ids), WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        await(() -> stateMachines.get(firstId).values().equals(Map.of("a", "1", "b", "2")),
                "the restarted replica catches up");
    }

    /**
     * Goal: a follower that was away while the leader's WAL was collected past its position gets a tablet
     * copy, then the log after it; the leader's log cache stays within its bound meanwhile.
     */
    @Test
    void followerBehindCollectedWalGetsTabletCopy() throws Exception {
        WalOptions smallSegments = WalOptions.defaults().withSegmentSizeBytes(4096);
        long cacheBound = 16 * 1024;
        List<NodeId> ids = startGroup(3, smallSegments, cacheBound);
        GroupDriver leader = awaitLeader();
        NodeId lagging = ids.stream().filter(id -> !id.equals(leader.self())).findFirst().orElseThrow();
        for (NodeId other : ids) {
            network.cut(other, lagging);
            network.cut(lagging, other);
        }
        List<CompletableFuture<Object>> results = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            results.add(leader.propose(ByteString.copyFromUtf8("key" + i + "=" + "x".repeat(64))));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        // Entries leave the cache once durable; the bound holds once the last fsync is reported.
        await(() -> leader.status().logCacheBytesUsed() <= cacheBound, "the leader's log cache is back within its bound");
        for (NodeId id : ids) {
            if (!id.equals(lagging)) {
                stateMachines.get(id).flush();
            }
        }
        await(() -> leader.status().walFirstIndex() > 1000, "the leader's WAL is collected below its state machine");

        network.healAll();
        Map<String, String> expected = stateMachines.get(leader.self()).values();
        assertThat(expected).hasSize(2000);
        await(() -> stateMachines.get(lagging).values().equals(expected), "the lagging follower catches up");
        // Its state came whole from a tablet copy, after which its WAL restarts past the copy.
        await(() -> replicas.get(lagging).status().walFirstIndex() > 1000, "the lagging follower's WAL restarts after a tablet copy");
    }

    /**
     * Goal: a follower that crashed with entries in its WAL, and restarts after the leader collected its WAL
     * past them, installs a tablet copy and catches up. Regression: after a restart the follower's entries
     * are on disk only (none in its log cache), the core read the term of its last entry after the driver
     * had reset the WAL under it, got -1, and the replica stopped with "term -1 ... must not be negative".
     */
    @Test
    void followerRestartedBehindCollectedWalGetsTabletCopy() throws Exception {
        WalOptions smallSegments = WalOptions.defaults().withSegmentSizeBytes(4096);
        List<NodeId> ids = startGroup(3, smallSegments, GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver leader = awaitLeader();
        for (int i = 0; i < 10; i++) {
            leader.propose(ByteString.copyFromUtf8("before" + i + "=1")).get(10, TimeUnit.SECONDS);
        }
        NodeId lagging = ids.stream().filter(id -> !id.equals(leader.self())).findFirst().orElseThrow();
        await(() -> replicas.get(lagging).status().appliedIndex() >= leader.status().appliedIndex(),
                "the follower has the first entries in its WAL");
        long laggingLast = replicas.get(lagging).status().lastOpId().index();
        crash(lagging);
        // In rounds, so the WAL rolls segments between batches (one batch is written to one segment).
        for (int round = 0; round < 20; round++) {
            List<CompletableFuture<Object>> results = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                results.add(leader.propose(ByteString.copyFromUtf8("key" + (round * 50 + i) + "=" + "x".repeat(64))));
            }
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
        for (NodeId id : ids) {
            if (!id.equals(lagging)) {
                stateMachines.get(id).flush();
            }
        }
        await(() -> leader.status().walFirstIndex() > laggingLast + 1,
                "the leader's WAL is collected past the crashed follower's last entry");

        start(lagging, Membership.ofVoters(ids), smallSegments, GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        Map<String, String> expected = stateMachines.get(leader.self()).values();
        assertThat(expected).hasSize(1010);
        await(() -> stateMachines.get(lagging).values().equals(expected), "the restarted follower catches up");
        // Its WAL restarts past the copy, and it keeps replicating afterwards (it did not stop on the way).
        leader.propose(ByteString.copyFromUtf8("after=1")).get(10, TimeUnit.SECONDS);
        await(() -> "1".equals(stateMachines.get(lagging).values().get("after")),
                "the restarted follower applies an entry after the copy");
        assertThat(replicas.get(lagging).isClosed()).as("the restarted follower still runs").isFalse();
        assertThat(replicas.get(lagging).status().walFirstIndex()).isGreaterThan(laggingLast + 1);
    }

    /** Goal: a single replica restarts from its WAL and replays what its state machine had not flushed. */
    @Test
    void restartReplaysTheWalBeyondTheDurablePoint() throws Exception {
        NodeId only = NodeId.of("solo");
        start(only, Membership.ofVoters(only), WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver leader = awaitLeader();
        for (int i = 0; i < 50; i++) {
            leader.propose(ByteString.copyFromUtf8("k" + i + "=" + i)).get(10, TimeUnit.SECONDS);
        }
        stateMachines.get(only).flush();
        leader.propose(ByteString.copyFromUtf8("after=flush")).get(10, TimeUnit.SECONDS);
        crash(only);

        start(only, Membership.ofVoters(only), WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        await(() -> "after".equals(firstKey(stateMachines.get(only).values(), "after")), "the WAL is replayed");
        assertThat(stateMachines.get(only).values()).hasSize(51);
    }

    /** Goal: a replica whose WAL has data but whose consensus metadata is gone refuses to start. */
    @Test
    void missingMetadataNextToWalIsRefused() throws Exception {
        NodeId only = NodeId.of("solo");
        start(only, Membership.ofVoters(only), WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        awaitLeader().propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        crash(only);
        Path metadata = dir.resolve(only.value()).resolve("consensus-meta");
        Files.delete(metadata);
        assertThatThrownBy(() -> start(only, Membership.ofVoters(only), WalOptions.defaults(),
                GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX))
                .isInstanceOf(IOException.class).hasMessageContaining(metadata.toString());
    }

    /** Goal: a learner joins, catches up, is promoted, and a voter is removed, all while writes go on. */
    @Test
    void membershipChangeOnline() throws Exception {
        List<NodeId> ids = startGroup(3, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver leader = awaitLeader();
        leader.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        NodeId newcomer = NodeId.of("n4");
        start(newcomer, Membership.ofVoters(List.of()), WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        leader.changeMembership(new MembershipChange.AddLearner(newcomer)).get(10, TimeUnit.SECONDS);
        await(() -> "1".equals(stateMachines.get(newcomer).values().get("a")), "the learner catches up");
        leader.changeMembership(new MembershipChange.PromoteLearner(newcomer)).get(10, TimeUnit.SECONDS);
        NodeId leaving = ids.stream().filter(id -> !id.equals(leader.self())).findFirst().orElseThrow();
        leader.changeMembership(new MembershipChange.RemoveMember(leaving)).get(10, TimeUnit.SECONDS);
        leader.propose(ByteString.copyFromUtf8("b=2")).get(10, TimeUnit.SECONDS);
        assertThat(leader.status().membership().voters()).contains(newcomer).doesNotContain(leaving).hasSize(3);
        await(() -> "2".equals(stateMachines.get(newcomer).values().get("b")), "the new voter applies new writes");
    }

    /** Goal: leadership moves to the chosen replica on request (graceful restarts). */
    @Test
    void leadershipTransferMovesTheLeader() throws Exception {
        List<NodeId> ids = startGroup(3, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver leader = awaitLeader();
        leader.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        NodeId target = ids.stream().filter(id -> !id.equals(leader.self())).findFirst().orElseThrow();
        leader.transferLeadership(target);
        await(() -> replicas.get(target).status().leaderReady(), target + " leads");
        replicas.get(target).propose(ByteString.copyFromUtf8("b=2")).get(10, TimeUnit.SECONDS);
    }

    /** Goal: a proposal to a follower is refused at once with a hint naming the leader. */
    @Test
    void followerRefusesProposalsWithLeaderHint() throws Exception {
        startGroup(3, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver leader = awaitLeader();
        leader.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);
        GroupDriver follower = replicas.values().stream().filter(r -> r != leader).findFirst().orElseThrow();
        await(() -> follower.status().leaderHint().equals(Optional.of(leader.self())), "the follower knows the leader");
        assertThatThrownBy(() -> follower.propose(ByteString.copyFromUtf8("b=2")).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ProposalRefusedException.class)
                .satisfies(e -> assertThat(((ProposalRefusedException) e).leaderHint()).contains(leader.self()));
    }

    /**
     * Goal: what operators read off a replica follows what happened: WAL fsyncs and bytes reach the pool's
     * listener, a leader knows each follower's match index, and a failover leaves an election, a leader
     * change and the new leader's failover phases behind.
     */
    @Test
    void operatorViewFollowsElectionsReplicationAndFailover() throws Exception {
        java.util.concurrent.atomic.AtomicLong fsyncs = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
        pool.setWalListener(new basalt.consensus.wal.WalListener() {
            @Override
            public void fsynced(long nanos) {
                fsyncs.incrementAndGet();
            }

            @Override
            public void wrote(long count) {
                bytes.addAndGet(count);
            }
        });
        List<NodeId> ids = startGroup(3, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver first = awaitLeader();
        first.propose(ByteString.copyFromUtf8("a=1")).get(10, TimeUnit.SECONDS);

        assertThat(fsyncs.get()).isPositive();
        assertThat(bytes.get()).isPositive();
        assertThat(first.electionsStarted()).isGreaterThanOrEqualTo(1);
        long last = first.status().lastOpId().index();
        await(() -> first.peerMatchIndexes().size() == 2
                && first.peerMatchIndexes().values().stream().allMatch(match -> match == last),
                "the leader reports both followers caught up to " + last);
        for (NodeId id : ids) {
            await(() -> replicas.get(id).leaderChanges() == 1, id + " saw one leader");
        }

        crash(first.self());
        GroupDriver second = awaitLeader();
        await(() -> second.lastFailover().isPresent(), "the new leader records its failover");
        GroupDriver.Failover failover = second.lastFailover().get();
        assertThat(failover.term()).isEqualTo(second.status().term());
        assertThat(failover.electionNanos()).isPositive();
        assertThat(second.leaderChanges()).as("the first leader, then itself").isGreaterThanOrEqualTo(2);
        assertThat(second.electionsStarted()).isGreaterThanOrEqualTo(1);
        await(() -> second.peerMatchIndexes().size() == 2, "the new leader tracks both peers");
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Goal: a follower acknowledges entries only once its own WAL holds them fsynced, although the
     * acknowledgement now leaves from the WAL's syncer thread rather than the group's.
     */
    @Test
    void followersAcknowledgeOnlyWhatTheirWalMadeDurable() throws Exception {
        List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Long> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
        transportWrapper = inner -> new Transport() {
            @Override
            public void send(Message message) {
                GroupDriver sender = replicas.get(message.from());
                if (message instanceof Message.AppendResponse response && response.success() && sender != null) {
                    long durable = sender.walDurableIndex();
                    acknowledged.add(response.matchIndex());
                    if (response.matchIndex() > durable) {
                        violations.add(response.from() + " acknowledged " + response.matchIndex()
                                + " with only " + durable + " durable");
                    }
                }
                inner.send(message);
            }

            @Override
            public void sendTabletCopy(NodeId target, TabletCopy copy) {
                inner.sendTabletCopy(target, copy);
            }
        };
        startGroup(3, WalOptions.defaults(), GroupOptions.DEFAULT_LOG_CACHE_BYTES_MAX);
        GroupDriver leader = awaitLeader();
        for (int i = 0; i < 200; i++) { // one at a time: each write is its own fsync and acknowledgement
            leader.propose(ByteString.copyFromUtf8("k=v" + i)).get(20, TimeUnit.SECONDS);
        }

        assertThat(acknowledged).isNotEmpty();
        assertThat(violations).isEmpty();
    }

    private List<NodeId> startGroup(int voters, WalOptions walOptions, long cacheBytes) throws IOException {
        List<NodeId> ids = new ArrayList<>();
        for (int i = 1; i <= voters; i++) {
            ids.add(NodeId.of("n" + i));
        }
        for (NodeId id : ids) {
            start(id, Membership.ofVoters(ids), walOptions, cacheBytes);
        }
        return ids;
    }

    private void start(NodeId id, Membership membership, WalOptions walOptions, long cacheBytes) throws IOException {
        KeyValueStateMachine.Disk disk = disks.computeIfAbsent(id, ignored -> new KeyValueStateMachine.Disk());
        KeyValueStateMachine stateMachine = new KeyValueStateMachine(disk);
        GroupOptions options = GroupOptions.defaults(GROUP, id, dir.resolve(id.value()), membership)
                // 30 ticks of 10 ms, as in production (12 of 25 ms): with 100 ms a loaded machine (load 12 on 2
                // cores) stalled a follower long enough to elect a new leader in the middle of tests that
                // drive one leader (membershipChangeOnline was refused "not the leader" once in 150 runs).
                .withRaft(RaftConfig.DEFAULT.withElectionTimeoutTicks(30))
                .withWal(walOptions).withLogCacheBytesMax(cacheBytes).withGcEveryTicks(5);
        GroupDriver driver = GroupDriver.open(options, stateMachine, transportWrapper.apply(network.transportFor(GROUP)), pool);
        network.register(driver);
        replicas.put(id, driver);
        stateMachines.put(id, stateMachine);
    }

    /** Stops a replica as a crash would, as far as one process can: no flush of its state machine. */
    private void crash(NodeId id) {
        GroupDriver driver = replicas.remove(id);
        network.unregister(driver);
        driver.close();
    }

    private GroupDriver awaitLeader() {
        GroupDriver[] leader = new GroupDriver[1];
        await(() -> {
            for (GroupDriver replica : replicas.values()) {
                if (replica.status().leaderReady()) {
                    leader[0] = replica;
                    return true;
                }
            }
            return false;
        }, "a leader is elected and ready");
        return leader[0];
    }

    private static String firstKey(Map<String, String> values, String key) {
        return values.containsKey(key) ? key : null;
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + DEADLINE + " waiting until " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(5); // polling interval of a condition wait, not a sleep-and-hope
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what);
            }
        }
    }
}
