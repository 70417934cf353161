package basalt.server.rpc;

import basalt.common.check.Check;
import basalt.consensus.core.NodeId;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Network faults injected inside the transport, per peer server: cut messages to it (outbound), cut
 * messages from it (inbound: dropped on receipt, by their {@code from}), or delay messages to it.
 * The baseline fault tool for real-process tests (no root, no iptables). Read on every message, so
 * lookups are one concurrent map get; an unfaulted peer has no entry. Thread-safe.
 *
 * <p>Consensus messages and tablet copies obey cuts; delays apply to consensus messages.
 */
public final class NetworkFaults {
    /** The faults on one peer; a peer with none is absent from the map. */
    public record PeerFaults(boolean cutOutbound, boolean cutInbound, long delayOutboundMs) {
        static final PeerFaults NONE = new PeerFaults(false, false, 0);

        boolean isNone() {
            return equals(NONE);
        }
    }

    private final ConcurrentHashMap<NodeId, PeerFaults> faults = new ConcurrentHashMap<>();

    /** Cuts the link to and/or from {@code peer}, in addition to any fault already there. */
    public void cut(NodeId peer, boolean outbound, boolean inbound) {
        update(peer, before -> new PeerFaults(before.cutOutbound || outbound, before.cutInbound || inbound,
                before.delayOutboundMs));
    }

    /** Delays every message to {@code peer} by {@code delayMs} (0 removes the delay). */
    public void delay(NodeId peer, long delayMs) {
        Check.arg(delayMs >= 0, "delayMs %s must not be negative", delayMs);
        update(peer, before -> new PeerFaults(before.cutOutbound, before.cutInbound, delayMs));
    }

    public void heal(NodeId peer) {
        faults.remove(peer);
    }

    public void healAll() {
        faults.clear();
    }

    public boolean isOutboundCut(NodeId peer) {
        PeerFaults peerFaults = faults.get(peer);
        return peerFaults != null && peerFaults.cutOutbound;
    }

    public boolean isInboundCut(NodeId peer) {
        PeerFaults peerFaults = faults.get(peer);
        return peerFaults != null && peerFaults.cutInbound;
    }

    public long outboundDelayMs(NodeId peer) {
        PeerFaults peerFaults = faults.get(peer);
        return peerFaults == null ? 0 : peerFaults.delayOutboundMs;
    }

    public Map<NodeId, PeerFaults> snapshot() {
        return new TreeMap<>(faults);
    }

    private void update(NodeId peer, java.util.function.UnaryOperator<PeerFaults> change) {
        faults.compute(peer, (ignored, before) -> {
            PeerFaults after = change.apply(before == null ? PeerFaults.NONE : before);
            return after.isNone() ? null : after;
        });
    }
}
