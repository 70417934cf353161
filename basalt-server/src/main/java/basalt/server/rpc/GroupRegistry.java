package basalt.server.rpc;

import basalt.consensus.core.Message;
import basalt.consensus.driver.GroupDriver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The groups (tablet replicas) hosted by this server, by group id: where inbound consensus traffic is
 * dispatched. A tablet server registers a replica once its driver is open and unregisters it before
 * closing it. Thread-safe; lookups are on the receive path.
 *
 * <p>Messages for a group that is not registered yet are kept for it, briefly and within bounds, and
 * handed over when it registers. A new tablet's first leader sends its first append as soon as its own
 * replica exists, usually while the other replicas are still writing their metadata; dropped, that
 * append would go out again only at the leader's next heartbeat, tens of milliseconds later, on the
 * path of every CreateTable. Raft allows a message any delay, so handing it over late is safe.
 */
public final class GroupRegistry {
    /** How long a message waits for its group to register; after that it is dropped (Raft resends). */
    static final long EARLY_MESSAGE_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Bounds on the messages kept for unregistered groups, so traffic for groups never created here cannot pile up. */
    static final int EARLY_MESSAGES_MAX = 1024;
    static final long EARLY_BYTES_MAX = 8L * 1024 * 1024;
    static final int EARLY_MESSAGES_PER_GROUP_MAX = 16;

    /** What became of a message handed to {@link #deliver}. */
    public enum Delivery { DELIVERED, KEPT_FOR_LATER, DROPPED }

    private record Early(Message message, int bytes, long arrivedNanos) {}

    private final ConcurrentHashMap<String, GroupDriver> groups = new ConcurrentHashMap<>();
    /** Messages for unregistered groups, oldest group first. Guarded by itself. */
    private final LinkedHashMap<String, List<Early>> early = new LinkedHashMap<>();
    private int earlyMessages;
    private long earlyBytes;

    /**
     * Registers {@code driver} under its group id, then hands it the messages kept for it; refuses a
     * second replica of the same group.
     */
    public void register(GroupDriver driver) {
        GroupDriver before = groups.putIfAbsent(driver.groupId(), driver);
        if (before != null && before != driver) {
            throw new IllegalStateException("group " + driver.groupId() + " is already hosted here");
        }
        List<Early> kept;
        synchronized (early) {
            kept = early.remove(driver.groupId());
            if (kept != null) {
                forget(kept);
            }
        }
        if (kept != null) {
            long now = System.nanoTime();
            for (Early message : kept) {
                if (now - message.arrivedNanos() < EARLY_MESSAGE_TTL_NANOS && isFor(driver, message.message())) {
                    driver.receive(message.message());
                }
            }
        }
    }

    /** Removes {@code driver} if it is still the one registered for its group. */
    public void unregister(GroupDriver driver) {
        groups.remove(driver.groupId(), driver);
    }

    public Optional<GroupDriver> lookup(String groupId) {
        return Optional.ofNullable(groups.get(groupId));
    }

    /**
     * Hands {@code message} ({@code bytes} long on the wire) to its group when the group is hosted here
     * and the message is for this replica; keeps it for the group if the group is not registered yet and
     * the bounds allow; otherwise drops it.
     */
    public Delivery deliver(String groupId, Message message, int bytes, long nowNanos) {
        GroupDriver driver = groups.get(groupId);
        if (driver == null) {
            synchronized (early) {
                // Checked again under the lock that register() drains under: either it sees this
                // message, or this sees the group registered.
                driver = groups.get(groupId);
                if (driver == null) {
                    return keep(groupId, new Early(message, bytes, nowNanos)) ? Delivery.KEPT_FOR_LATER : Delivery.DROPPED;
                }
            }
        }
        if (!isFor(driver, message)) {
            return Delivery.DROPPED;
        }
        driver.receive(message);
        return Delivery.DELIVERED;
    }

    /** Messages kept for groups not registered yet (for tests and metrics). */
    public int earlyMessages() {
        synchronized (early) {
            return earlyMessages;
        }
    }

    /** Every hosted group, ordered by group id. */
    public List<GroupDriver> all() {
        return groups.values().stream().sorted(java.util.Comparator.comparing(GroupDriver::groupId)).toList();
    }

    private static boolean isFor(GroupDriver driver, Message message) {
        return driver.self().equals(message.to());
    }

    // Caller holds the lock on early.
    private boolean keep(String groupId, Early message) {
        expire(message.arrivedNanos());
        if (earlyMessages >= EARLY_MESSAGES_MAX || earlyBytes + message.bytes() > EARLY_BYTES_MAX) {
            return false;
        }
        List<Early> forGroup = early.computeIfAbsent(groupId, id -> new ArrayList<>());
        if (forGroup.size() >= EARLY_MESSAGES_PER_GROUP_MAX) {
            return false;
        }
        forGroup.add(message);
        earlyMessages++;
        earlyBytes += message.bytes();
        return true;
    }

    // Drops the groups whose first kept message is past its time. Groups are in order of first arrival,
    // so this stops at the first one still waiting. Caller holds the lock on early.
    private void expire(long nowNanos) {
        Iterator<Map.Entry<String, List<Early>>> groupsInOrder = early.entrySet().iterator();
        // Bounded by the number of groups kept for.
        while (groupsInOrder.hasNext()) {
            List<Early> oldest = groupsInOrder.next().getValue();
            if (nowNanos - oldest.get(0).arrivedNanos() < EARLY_MESSAGE_TTL_NANOS) {
                return;
            }
            forget(oldest);
            groupsInOrder.remove();
        }
    }

    // Caller holds the lock on early.
    private void forget(List<Early> messages) {
        for (Early message : messages) {
            earlyMessages--;
            earlyBytes -= message.bytes();
        }
    }
}
