package basalt.consensus.driver;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.consensus.core.Message;
import basalt.consensus.core.Message.AppendResponse;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The gate that holds a follower's acknowledgements until the WAL writes they cover are durable, and
 * lets the syncer thread send them: nothing leaves early, nothing leaves out of order.
 */
class DurabilityGateTest {
    private static final NodeId FOLLOWER = NodeId.of("f");
    private static final NodeId LEADER = NodeId.of("l");

    /** Records sends; the gate calls it from more than one thread, but always under its lock. */
    private static final class RecordingTransport implements Transport {
        final List<Long> sentMatchIndexes = new ArrayList<>();
        final List<Long> sentBeforeDurable = new ArrayList<>();
        /** What the test's "WAL" has made durable so far. */
        volatile java.util.function.LongSupplier durableIndex = () -> Long.MAX_VALUE;

        @Override
        public synchronized void send(Message message) {
            long matchIndex = ((AppendResponse) message).matchIndex();
            sentMatchIndexes.add(matchIndex);
            if (matchIndex > durableIndex.getAsLong()) {
                sentBeforeDurable.add(matchIndex);
            }
        }

        @Override
        public void sendTabletCopy(NodeId target, TabletCopy copy) {
            throw new AssertionError("no tablet copies here");
        }

        synchronized List<Long> sent() {
            return List.copyOf(sentMatchIndexes);
        }
    }

    private final RecordingTransport transport = new RecordingTransport();
    private final DurabilityGate gate = new DurabilityGate(transport);

    @Test
    void anAcknowledgementWaitsForItsWriteToBeDurable() {
        gate.register(1, new OpId(1, 5), List.of(ack(5)));

        assertThat(transport.sent()).isEmpty();
        assertThat(gate.release(1)).isEqualTo(new OpId(1, 5));
        assertThat(transport.sent()).containsExactly(5L);
    }

    @Test
    void aLaterReadyGatedBehindAPendingWriteJoinsItAndLeavesAfterIt() {
        gate.register(1, new OpId(1, 5), List.of(ack(5)));
        gate.sendWhenDurable(List.of(ack(5))); // e.g. a heartbeat answered while write 1's fsync runs

        assertThat(transport.sent()).isEmpty();
        gate.release(1);
        assertThat(transport.sent()).containsExactly(5L, 5L);
    }

    @Test
    void withNothingPendingAGatedMessageLeavesAtOnce() {
        gate.register(1, new OpId(1, 5), List.of(ack(5)));
        gate.release(1);

        gate.sendWhenDurable(List.of(ack(5)));

        assertThat(transport.sent()).containsExactly(5L, 5L);
    }

    @Test
    void aReleaseCoversEveryEarlierWriteAndALateSmallerOneFindsNothing() {
        gate.register(1, new OpId(1, 5), List.of(ack(5)));
        gate.register(2, new OpId(1, 6), List.of(ack(6)));
        gate.register(3, new OpId(1, 7), List.of(ack(7)));

        assertThat(gate.release(2)).isEqualTo(new OpId(1, 6));
        assertThat(transport.sent()).containsExactly(5L, 6L);
        assertThat(gate.release(1)).isNull(); // a slower syncer thread's completion for write 1
        assertThat(transport.sent()).containsExactly(5L, 6L);
        assertThat(gate.release(3)).isEqualTo(new OpId(1, 7));
        assertThat(transport.sent()).containsExactly(5L, 6L, 7L);
    }

    @Test
    void clearedWritesSendNothing() {
        gate.register(1, new OpId(1, 5), List.of(ack(5)));
        gate.clear();

        assertThat(gate.release(1)).isNull();
        assertThat(transport.sent()).isEmpty();
    }

    /**
     * The group's thread registers writes and gates heartbeat answers while a syncer thread releases
     * them as they become durable: whichever thread sends, the leader sees match indexes in the order
     * the follower produced them, and never one the syncer has not released yet.
     */
    @Test
    void acknowledgementsSentFromTheGroupThreadAndTheSyncerStayInOrder() throws Exception {
        int writes = 20_000;
        AtomicLong registered = new AtomicLong();
        AtomicLong released = new AtomicLong();
        transport.durableIndex = released::get;
        CompletableFuture<Void> syncer = CompletableFuture.runAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (released.get() < writes && System.nanoTime() < deadline) {
                long upTo = registered.get();
                if (upTo > released.get()) {
                    released.set(upTo); // published before the release, so a send never passes it
                    gate.release(upTo);
                } else {
                    Thread.onSpinWait();
                }
            }
        });
        for (long index = 1; index <= writes; index++) {
            gate.register(index, new OpId(1, index), List.of(ack(index)));
            registered.set(index);
            gate.sendWhenDurable(List.of(ack(index))); // joins write `index` unless it is durable already
        }
        syncer.get(30, TimeUnit.SECONDS);

        List<Long> sent = transport.sent();
        assertThat(sent).hasSize(2 * writes);
        for (int i = 1; i < sent.size(); i++) {
            assertThat(sent.get(i)).as("send %s", i).isGreaterThanOrEqualTo(sent.get(i - 1));
        }
        assertThat(released.get()).isEqualTo(writes);
        assertThat(transport.sentBeforeDurable).isEmpty();
    }

    private static AppendResponse ack(long matchIndex) {
        return AppendResponse.accepted(FOLLOWER, LEADER, 1, matchIndex);
    }
}
