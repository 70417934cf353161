package basalt.itest.client;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.client.BasaltClient;
import basalt.client.TableInfo;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.Poll;
import basalt.itest.junit.MiniClusterExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: a client doing createTable / deleteTable back to back never sees an error while the leader master
 * is killed -9 (and restarted) again and again: every outage is shorter than the operation timeout, so
 * the client rides through it, and request ids make each DDL take effect once (a create never answers
 * "already exists" for the table it created itself).
 *
 * <p>Method: 3 masters, 3 tablet servers; one thread creates {@code t<i>} and deletes every second one;
 * the main thread kills the leader master {@link #KILLS} times, each time once a DDL succeeded under the
 * current leader, restarting the killed one beside the election. Then: no DDL failed, the tables are
 * exactly the created-and-not-deleted ones, and the longest DDL call is printed as {@code [basalt-measure]}.
 */
class MasterFailoverClientTest {
    static final int KILLS = 2;
    static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(3).numTabletServers(3));

    @Test
    void ddlRidesThroughLeaderMasterKills() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        Set<String> expected = Collections.synchronizedSet(new TreeSet<>());
        AtomicInteger successes = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Long> callMillis = Collections.synchronizedList(new ArrayList<>());
        var restarts = Executors.newVirtualThreadPerTaskExecutor();
        try (BasaltClient client = ClientClusters.client(cluster)) {
            cluster.awaitMasterLeader(WAIT);
            Thread loop = Thread.ofPlatform().name("client-ddl-loop").start(() -> {
                // Bounded by the stop flag, which the main thread sets within its own time bound.
                for (int i = 0; !stop.get() && failure.get() == null; i++) {
                    String name = "t" + i;
                    try {
                        long start = System.nanoTime();
                        ClientClusters.createKeyValueTable(client, name, 1);
                        expected.add(name);
                        callMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                        successes.incrementAndGet();
                        if (i % 2 == 1) {
                            start = System.nanoTime();
                            client.deleteTable(name);
                            expected.remove(name);
                            callMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                            successes.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.set(new AssertionError("DDL on " + name + " failed", e));
                    }
                }
            });
            CompletableFuture<Void> restarting = CompletableFuture.completedFuture(null);
            for (int kill = 0; kill < KILLS && failure.get() == null; kill++) {
                int before = successes.get();
                Poll.until("a DDL to succeed before kill " + kill, WAIT,
                        () -> successes.get() > before + 1 || failure.get() != null);
                restarting.get(60, TimeUnit.SECONDS); // the last victim is back: a quorum survives this kill
                ExternalServer leader = cluster.awaitMasterLeader(WAIT);
                leader.kill();
                restarting = CompletableFuture.runAsync(() -> leader.startAgain(true), restarts);
            }
            int before = successes.get();
            Poll.until("a DDL to succeed after the last kill", WAIT, () -> successes.get() > before + 1 || failure.get() != null);
            stop.set(true);
            loop.join(WAIT.toMillis() * 2);
            restarting.get(60, TimeUnit.SECONDS);
            assertThat(loop.isAlive()).as("the DDL loop ended").isFalse();
            assertThat(failure.get()).as("no DDL failed").isNull();

            List<String> tables = client.listTables().stream().map(TableInfo::name).sorted().toList();
            assertThat(tables).containsExactlyElementsOf(new TreeSet<>(expected));
            long longest = callMillis.stream().mapToLong(Long::longValue).max().orElse(0);
            System.out.println("[basalt-measure] client DDL across " + KILLS + " leader-master kills: " + successes.get()
                    + " DDLs, longest call " + longest + " ms");
        } finally {
            stop.set(true);
            restarts.shutdown();
        }
    }
}
