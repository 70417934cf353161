package basalt.server.rpc;

import basalt.common.check.Check;
import basalt.common.net.HostPort;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.driver.TabletCopy;
import basalt.consensus.driver.Transport;
import basalt.proto.ConsensusMessagePB;
import basalt.proto.ConsensusServiceGrpc;
import basalt.proto.FaultInjectionServiceGrpc;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consensus transport of one server: every group it hosts sends through here, multiplexed by group
 * id over one connection and one long-lived {@code Deliver} stream per peer server.
 *
 * <p>Sending is one-way and never blocks: {@link Transport#send} encodes the message on the caller's
 * (group) thread, reserves its bytes against the peer's in-flight bound, queues it and, when no other
 * thread is flushing that peer, flushes the queue itself into as few {@code ConsensusBatchPB}s as the
 * stream's flow control allows (see {@link PeerLink}). No executor hop sits on this path. A message
 * that would pass the bound, that goes to a peer whose stream is down (backing off), or that a fault
 * cuts, is dropped and counted: Raft resends what matters.
 *
 * <p>Threads: callers' threads (flushing), gRPC's Netty event loop (flow-control callbacks, which
 * flush too, and stream failures), and one scheduler thread for reconnect back-off, delayed sends
 * (fault injection) and nothing else.
 */
public final class GrpcConsensusTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcConsensusTransport.class);

    /** Counters since start; a snapshot, taken without stopping traffic. */
    public record Stats(long messagesSent, long batchesSent, long droppedOverflow, long droppedByFault,
                        long droppedDisconnected, long droppedUnknownPeer, long droppedTooLarge,
                        long streamFailures, long tabletCopiesSent) {}

    final NodeId self;
    final PeerDirectory peers;
    final NetworkFaults faults;
    final TransportOptions options;
    final ScheduledExecutorService scheduler;
    private final ConcurrentHashMap<NodeId, PeerLink> links = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Boolean> tabletCopiesInFlight = new ConcurrentHashMap<>();
    private volatile boolean closed;

    final LongAdder messagesSent = new LongAdder();
    final LongAdder batchesSent = new LongAdder();
    final LongAdder droppedOverflow = new LongAdder();
    final LongAdder droppedByFault = new LongAdder();
    final LongAdder droppedDisconnected = new LongAdder();
    final LongAdder droppedUnknownPeer = new LongAdder();
    final LongAdder droppedTooLarge = new LongAdder();
    final LongAdder streamFailures = new LongAdder();
    final LongAdder tabletCopiesSent = new LongAdder();

    public GrpcConsensusTransport(NodeId self, PeerDirectory peers, NetworkFaults faults, TransportOptions options) {
        this.self = self;
        this.peers = peers;
        this.faults = faults;
        this.options = options;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "consensus-transport-" + self);
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.scheduler = Executors.unconfigurableScheduledExecutorService(executor);
        peers.addListener((peer, address) -> {
            PeerLink link = links.get(peer);
            if (link != null) {
                link.addressChanged(address);
            }
        });
    }

    /** The transport one hosted group sends through; cheap, may be called once per group. */
    public Transport transportFor(String groupId) {
        Check.arg(groupId != null && !groupId.isBlank(), "groupId must not be blank");
        return new Transport() {
            @Override
            public void send(Message message) {
                GrpcConsensusTransport.this.send(ProtoCodec.encode(groupId, message), message.to());
            }

            @Override
            public void sendTabletCopy(NodeId target, TabletCopy copy) {
                GrpcConsensusTransport.this.sendTabletCopy(groupId, target, copy);
            }
        };
    }

    void send(ConsensusMessagePB message, NodeId to) {
        if (closed) {
            droppedDisconnected.increment();
            return;
        }
        if (faults.isOutboundCut(to)) {
            droppedByFault.increment();
            return;
        }
        PeerLink link = link(to);
        if (link == null) {
            droppedUnknownPeer.increment();
            return;
        }
        link.send(message);
    }

    void sendTabletCopy(String groupId, NodeId target, TabletCopy copy) {
        if (closed || faults.isOutboundCut(target)) {
            droppedByFault.increment();
            return;
        }
        PeerLink link = link(target);
        if (link == null) {
            droppedUnknownPeer.increment();
            return;
        }
        String key = groupId + "/" + target.value();
        // The core asks again every election timeout while the peer still needs a copy; one at a time.
        if (tabletCopiesInFlight.putIfAbsent(key, Boolean.TRUE) != null) {
            return;
        }
        TabletCopySender sender = new TabletCopySender(groupId, self, target, copy, options.tabletCopyChunkBytes(),
                () -> tabletCopiesInFlight.remove(key));
        ConsensusServiceGrpc.newStub(link.channel())
                .withDeadlineAfter(options.tabletCopyDeadline(copy.data().size()).toMillis(), TimeUnit.MILLISECONDS)
                .installTabletCopy(sender);
        tabletCopiesSent.increment();
    }

    /** A stub for one unary call to {@code peer}, its deadline already set; IllegalArgumentException when its address is unknown. */
    public ConsensusServiceGrpc.ConsensusServiceBlockingStub blockingStub(NodeId peer) {
        PeerLink link = link(peer);
        Check.arg(link != null, "no address known for %s", peer);
        return ConsensusServiceGrpc.newBlockingStub(link.channel())
                .withDeadlineAfter(options.unaryDeadline().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A stub for one fault-injection call to {@code peer}, its deadline already set. */
    public FaultInjectionServiceGrpc.FaultInjectionServiceBlockingStub faultStub(NodeId peer) {
        PeerLink link = link(peer);
        Check.arg(link != null, "no address known for %s", peer);
        return FaultInjectionServiceGrpc.newBlockingStub(link.channel())
                .withDeadlineAfter(options.unaryDeadline().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Bytes queued for {@code peer} (encoded, not yet handed to gRPC); never above the in-flight bound. */
    public long queuedBytes(NodeId peer) {
        PeerLink link = links.get(peer);
        return link == null ? 0 : link.queuedBytes();
    }

    public Stats stats() {
        return new Stats(messagesSent.sum(), batchesSent.sum(), droppedOverflow.sum(), droppedByFault.sum(),
                droppedDisconnected.sum(), droppedUnknownPeer.sum(), droppedTooLarge.sum(), streamFailures.sum(),
                tabletCopiesSent.sum());
    }

    public NetworkFaults faults() {
        return faults;
    }

    public PeerDirectory peers() {
        return peers;
    }

    private PeerLink link(NodeId peer) {
        PeerLink link = links.get(peer);
        if (link != null) {
            return link;
        }
        HostPort address = peers.lookup(peer).orElse(null);
        if (address == null || closed) {
            return null;
        }
        return links.computeIfAbsent(peer, id -> new PeerLink(this, id));
    }

    boolean isClosed() {
        return closed;
    }

    /** Closes every stream and channel; queued messages are dropped. */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        for (PeerLink link : links.values()) {
            link.close();
        }
        for (PeerLink link : links.values()) {
            link.awaitClosed();
        }
        links.clear();
        LOG.debug("transport of {} closed: {}", self, stats());
    }
}
