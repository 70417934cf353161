package basalt.consensus.driver;

import basalt.consensus.core.Message;
import basalt.consensus.core.OpId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds back the messages of a Ready's {@code sendAfterDurable} until every WAL write before them is
 * durable, and sends them from whichever thread learns that first: the WAL's syncer, as soon as its
 * fsync returns. A follower's acknowledgement thus leaves without first hopping to the group's worker
 * (one scheduler wake-up less on the write path, which on a busy 2-core machine is most of the tail).
 *
 * <p>Ordering argument. The group's thread registers write N (with the messages gated on it) only after
 * it sent everything of earlier Readies that leaves at once, so a gated message never overtakes an
 * earlier Ready's message. Every gated message sits on exactly one write's list: the latest write
 * registered when its Ready ran, or none when nothing was pending (then every earlier write is durable
 * and it leaves at once). {@link #release} takes writes in registration order and sends their lists in
 * order, and the lock is held from taking a write until its messages are handed to the transport, and
 * likewise around a direct send by {@link #sendWhenDurable}; so gated messages leave in the order their
 * Readies produced them, whichever thread sends them, and the transport (a FIFO per peer) keeps that
 * order. A message that leaves at once ({@code sendNow}) may overtake a gated one still waiting, as it
 * always could: the core puts a message there only when it is already true (an acknowledgement no
 * higher than what the core knows is durable, a rejection), so arriving first cannot make it lie, and
 * a leader takes match indexes as a maximum.
 *
 * <p>Completions may arrive out of order from several syncer threads; a release of write N covers every
 * write up to N (a sync covers every append made before it was requested), and a later release of a
 * smaller number finds nothing left.
 */
final class DurabilityGate {
    /** A WAL write awaiting its fsync, and the messages that may leave only after it (a list of its own). */
    private record PendingWrite(long writeNumber, OpId lastWritten, List<Message> afterDurable) {}

    private final Transport transport;
    // Guarded by this: the group's thread adds, syncer threads take.
    private final ArrayDeque<PendingWrite> pending = new ArrayDeque<>();

    DurabilityGate(Transport transport) {
        this.transport = transport;
    }

    /** Group thread: write {@code writeNumber} (numbers rise) ends at {@code lastWritten}; {@code afterDurable} waits for it. */
    synchronized void register(long writeNumber, OpId lastWritten, List<Message> afterDurable) {
        pending.addLast(new PendingWrite(writeNumber, lastWritten, new ArrayList<>(afterDurable)));
    }

    /** Group thread: sends {@code messages} once every write registered so far is durable (now, when none waits). */
    synchronized void sendWhenDurable(List<Message> messages) {
        if (messages.isEmpty()) {
            return;
        }
        if (pending.isEmpty()) {
            messages.forEach(transport::send);
        } else {
            pending.peekLast().afterDurable().addAll(messages);
        }
    }

    /**
     * Any thread: every write up to {@code writeNumber} is durable; sends what waited for them and
     * returns the last OpId they wrote, or null when an earlier call released them already.
     */
    synchronized OpId release(long writeNumber) {
        OpId durable = null;
        while (!pending.isEmpty() && pending.peekFirst().writeNumber() <= writeNumber) {
            PendingWrite done = pending.pollFirst();
            durable = done.lastWritten();
            done.afterDurable().forEach(transport::send);
        }
        return durable;
    }

    /** Forgets every pending write and its messages (the WAL was reset under them, or the group closed). */
    synchronized void clear() {
        pending.clear();
    }
}
