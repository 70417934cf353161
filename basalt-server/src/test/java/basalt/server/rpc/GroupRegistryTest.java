package basalt.server.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.consensus.core.Membership;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.consensus.driver.DriverPool;
import basalt.consensus.driver.GroupDriver;
import basalt.consensus.driver.GroupOptions;
import basalt.consensus.driver.KeyValueStateMachine;
import basalt.consensus.driver.TabletCopy;
import basalt.consensus.driver.Transport;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a consensus message that arrives for a group before the group registers (a new replica's first
 * append while its CreateTablet is still writing metadata) reaches the group when it registers, unless it
 * waited too long or the bounds are full; messages for another replica are never handed over.
 */
class GroupRegistryTest {
    private static final NodeId SELF = NodeId.of("follower");
    private static final NodeId LEADER = NodeId.of("leader");
    private static final Transport NOWHERE = new Transport() {
        @Override
        public void send(Message message) {
        }

        @Override
        public void sendTabletCopy(NodeId target, TabletCopy copy) {
        }
    };

    @TempDir
    Path dir;
    private final DriverPool pool = new DriverPool(1, 10);
    private final GroupRegistry registry = new GroupRegistry();
    private GroupDriver driver;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
        pool.close();
    }

    private GroupDriver open(String groupId) throws Exception {
        driver = GroupDriver.open(GroupOptions.defaults(groupId, SELF, dir.resolve(groupId),
                Membership.ofVoters(List.of(LEADER, SELF))), new KeyValueStateMachine(new KeyValueStateMachine.Disk()),
                NOWHERE, pool);
        return driver;
    }

    /** A heartbeat of term 7 from the leader: a replica that takes it in learns the term and the leader. */
    private static Message heartbeat(NodeId to) {
        return heartbeat(to, 7);
    }

    private static Message heartbeat(NodeId to, long term) {
        return new Message.AppendRequest(LEADER, to, term, OpId.ZERO, List.of(), 0);
    }

    @Test
    void aMessageThatArrivesBeforeItsGroupIsHandedOverWhenTheGroupRegisters() throws Exception {
        long now = System.nanoTime();
        assertThat(registry.deliver("g1", heartbeat(SELF), 100, now)).isEqualTo(GroupRegistry.Delivery.KEPT_FOR_LATER);
        assertThat(registry.earlyMessages()).isEqualTo(1);

        GroupDriver group = open("g1");
        registry.register(group);

        assertThat(registry.earlyMessages()).isZero();
        await(() -> group.status().term() == 7 && group.status().leaderHint().equals(Optional.of(LEADER)),
                "the registered group took in the kept heartbeat");
        assertThat(registry.deliver("g1", heartbeat(SELF), 100, System.nanoTime()))
                .isEqualTo(GroupRegistry.Delivery.DELIVERED);
    }

    @Test
    void aKeptMessageOlderThanItsTimeIsDroppedInsteadOfHandedOver() throws Exception {
        long longAgo = System.nanoTime() - GroupRegistry.EARLY_MESSAGE_TTL_NANOS - TimeUnit.MILLISECONDS.toNanos(1);
        registry.deliver("g1", heartbeat(SELF), 100, longAgo);

        GroupDriver group = open("g1");
        registry.register(group);
        // A fresh heartbeat of a lower term, behind where the stale one would be in the group's inbox: once
        // the group is at its term, the stale one (term 7, and terms never go down) was not handed over.
        assertThat(registry.deliver("g1", heartbeat(SELF, 3), 100, System.nanoTime()))
                .isEqualTo(GroupRegistry.Delivery.DELIVERED);
        await(() -> group.status().term() >= 3, "the group took in the fresh heartbeat");
        assertThat(group.status().term()).isEqualTo(3);
    }

    @Test
    void keptMessagesAreBoundedAndExpire() {
        long now = System.nanoTime();
        for (int i = 0; i < GroupRegistry.EARLY_MESSAGES_PER_GROUP_MAX; i++) {
            assertThat(registry.deliver("g1", heartbeat(SELF), 10, now)).isEqualTo(GroupRegistry.Delivery.KEPT_FOR_LATER);
        }
        assertThat(registry.deliver("g1", heartbeat(SELF), 10, now)).as("one group's share is full")
                .isEqualTo(GroupRegistry.Delivery.DROPPED);
        assertThat(registry.deliver("g2", heartbeat(SELF), (int) GroupRegistry.EARLY_BYTES_MAX, now))
                .as("over the byte bound").isEqualTo(GroupRegistry.Delivery.DROPPED);

        long later = now + GroupRegistry.EARLY_MESSAGE_TTL_NANOS;
        assertThat(registry.deliver("g2", heartbeat(SELF), 10, later)).isEqualTo(GroupRegistry.Delivery.KEPT_FOR_LATER);
        assertThat(registry.earlyMessages()).as("g1's messages expired, g2's one is kept").isEqualTo(1);
    }

    @Test
    void aMessageForAnotherReplicaOfARegisteredGroupIsDropped() throws Exception {
        registry.register(open("g1"));
        assertThat(registry.deliver("g1", heartbeat(NodeId.of("someone-else")), 100, System.nanoTime()))
                .isEqualTo(GroupRegistry.Delivery.DROPPED);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(1);
        }
    }
}
