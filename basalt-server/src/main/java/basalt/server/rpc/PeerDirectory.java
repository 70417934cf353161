package basalt.server.rpc;

import basalt.common.net.HostPort;
import basalt.consensus.core.NodeId;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * Where each peer server listens, by its uuid. A tablet server learns addresses at run time (from
 * CreateTablet, from membership changes, later from the masters), so entries change while traffic
 * flows; listeners hear of every change so a transport can move its connection to the new address.
 * Thread-safe.
 */
public final class PeerDirectory {
    private final ConcurrentHashMap<NodeId, HostPort> addresses = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<BiConsumer<NodeId, HostPort>> listeners = new CopyOnWriteArrayList<>();

    /** Records (or changes) a peer's address; listeners are told only when it changed. */
    public void put(NodeId peer, HostPort address) {
        HostPort before = addresses.put(peer, address);
        if (!address.equals(before)) {
            listeners.forEach(listener -> listener.accept(peer, address));
        }
    }

    public void remove(NodeId peer) {
        addresses.remove(peer);
    }

    public Optional<HostPort> lookup(NodeId peer) {
        return Optional.ofNullable(addresses.get(peer));
    }

    /** A sorted copy, for operators and tests. */
    public Map<NodeId, HostPort> snapshot() {
        return new TreeMap<>(addresses);
    }

    /** Called on the thread of {@link #put} with each changed address. */
    public void addListener(BiConsumer<NodeId, HostPort> listener) {
        listeners.add(listener);
    }
}
