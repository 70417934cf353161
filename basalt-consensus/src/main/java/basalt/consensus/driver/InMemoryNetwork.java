package basalt.consensus.driver;

import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Groups in one process talking through direct calls: the {@link Transport} for tests and benchmarks
 * until gRPC arrives. Replicas register under (group, node); links can be cut one way to make
 * partitions. Delivery enqueues on the receiver's group thread, so it never blocks the sender.
 */
public final class InMemoryNetwork {
    private final Map<String, GroupDriver> replicas = new ConcurrentHashMap<>();
    private final Set<String> cutLinks = ConcurrentHashMap.newKeySet();

    /** The transport one replica of {@code groupId} sends through. */
    public Transport transportFor(String groupId) {
        return new Transport() {
            @Override
            public void send(Message message) {
                if (!cutLinks.contains(link(message.from(), message.to()))) {
                    GroupDriver target = replicas.get(key(groupId, message.to()));
                    if (target != null) {
                        target.receive(message);
                    }
                }
            }

            @Override
            public void sendTabletCopy(NodeId target, TabletCopy copy) {
                GroupDriver replica = replicas.get(key(groupId, target));
                if (replica != null) {
                    replica.receiveTabletCopy(copy);
                }
            }
        };
    }

    public void register(GroupDriver replica) {
        replicas.put(key(replica.groupId(), replica.self()), replica);
    }

    public void unregister(GroupDriver replica) {
        replicas.remove(key(replica.groupId(), replica.self()), replica);
    }

    /** Drops every message from {@code from} to {@code to} until healed. */
    public void cut(NodeId from, NodeId to) {
        cutLinks.add(link(from, to));
    }

    public void healAll() {
        cutLinks.clear();
    }

    private static String key(String groupId, NodeId node) {
        return groupId + "/" + node.value();
    }

    private static String link(NodeId from, NodeId to) {
        return from.value() + ">" + to.value();
    }
}
