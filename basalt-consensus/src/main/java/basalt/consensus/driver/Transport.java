package basalt.consensus.driver;

import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;

/**
 * How one group's driver reaches its peers. Sends never block and may be lost: Raft retries by itself.
 * An in-memory implementation serves tests and benchmarks; gRPC comes with the tablet server.
 *
 * <p>{@link #send} is called from the group's thread and, possibly at the same time, from WAL syncer
 * threads (acknowledgements that waited for an fsync, see {@link DurabilityGate}). An implementation must
 * be thread-safe and keep a FIFO per peer: of two sends to one peer where one call returned before the
 * other began, the first arrives first.
 */
public interface Transport {
    /** Sends a consensus message to {@code message.to()}, best effort. */
    void send(Message message);

    /** Ships a tablet copy (state machine snapshot) to a peer that is behind the leader's first entry. */
    void sendTabletCopy(NodeId target, TabletCopy copy);
}
