package basalt.server.rpc;

import basalt.consensus.driver.GroupDriver;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The groups (tablet replicas) hosted by this server, by group id: where inbound consensus traffic is
 * dispatched. A tablet server registers a replica once its driver is open and unregisters it before
 * closing it. Thread-safe; lookups are on the receive path.
 */
public final class GroupRegistry {
    private final ConcurrentHashMap<String, GroupDriver> groups = new ConcurrentHashMap<>();

    /** Registers {@code driver} under its group id; refuses a second replica of the same group. */
    public void register(GroupDriver driver) {
        GroupDriver before = groups.putIfAbsent(driver.groupId(), driver);
        if (before != null && before != driver) {
            throw new IllegalStateException("group " + driver.groupId() + " is already hosted here");
        }
    }

    /** Removes {@code driver} if it is still the one registered for its group. */
    public void unregister(GroupDriver driver) {
        groups.remove(driver.groupId(), driver);
    }

    public Optional<GroupDriver> lookup(String groupId) {
        return Optional.ofNullable(groups.get(groupId));
    }

    /** Every hosted group, ordered by group id. */
    public List<GroupDriver> all() {
        return groups.values().stream().sorted(java.util.Comparator.comparing(GroupDriver::groupId)).toList();
    }
}
