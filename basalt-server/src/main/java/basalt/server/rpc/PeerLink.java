package basalt.server.rpc;

import basalt.common.net.HostPort;
import basalt.consensus.core.NodeId;
import basalt.proto.ConsensusBatchPB;
import basalt.proto.ConsensusMessagePB;
import basalt.proto.ConsensusServiceGrpc;
import basalt.proto.DeliverAckPB;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound side of one peer server: one channel, one {@code Deliver} client stream, one queue.
 *
 * <pre>
 * IDLE        -> STREAMING:   first send (the stream is opened at once; gRPC buffers until connected)
 * STREAMING   -> BACKING_OFF: the stream or its connection failed; the queue is dropped
 * BACKING_OFF -> STREAMING:   the jittered back-off elapsed (50 ms doubling to 2 s by default)
 * STREAMING   -> STREAMING:   the peer's address changed (the stream is cancelled, reopened at once)
 * any         -> CLOSED:      the transport closed
 * </pre>
 *
 * <p>Flushing: {@link #flush} runs on whichever thread enqueued or got an onReady callback; an atomic
 * work-in-progress counter lets exactly one thread drain at a time and makes it loop when others
 * enqueued meanwhile (no lost wake-up, no lock on the hot path). Batches go out only while the stream
 * {@code isReady()}, so gRPC holds at most one batch beyond its own small buffer; the rest waits in
 * the queue, whose bytes ({@link #queuedBytes}) never pass {@code inflightBytesMaxPerPeer}: the bytes
 * are reserved before a message is queued and released when it is handed to gRPC or dropped.
 */
final class PeerLink {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);
    /** Room for the batch and message framing around the largest message we agree to send. */
    private static final int FRAMING_BYTES = 1024;

    private enum State { IDLE, STREAMING, BACKING_OFF, CLOSED }

    private final GrpcConsensusTransport transport;
    private final NodeId peer;
    private final ConcurrentLinkedQueue<ConsensusMessagePB> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger flushWork = new AtomicInteger();

    // Guarded by this. The stream is also read without the lock by flush (volatile).
    private volatile State state = State.IDLE;
    private ManagedChannel channel;
    private HostPort address;
    private int failuresInARow;
    private long streamGeneration;
    private volatile ClientCallStreamObserver<ConsensusBatchPB> stream;

    PeerLink(GrpcConsensusTransport transport, NodeId peer) {
        this.transport = transport;
        this.peer = peer;
    }

    long queuedBytes() {
        return queuedBytes.get();
    }

    void send(ConsensusMessagePB message) {
        int size = message.getSerializedSize();
        if (size + FRAMING_BYTES > transport.options.maxInboundMessageBytes()) {
            transport.droppedTooLarge.increment();
            LOG.warn("dropping a {}-byte consensus message to {}: above the {}-byte message limit", size, peer,
                    transport.options.maxInboundMessageBytes());
            return;
        }
        if (stream == null && !openStreamUnlessBackingOff()) {
            transport.droppedDisconnected.increment();
            return;
        }
        if (!reserve(size)) {
            transport.droppedOverflow.increment();
            return;
        }
        long delayMs = transport.faults.outboundDelayMs(peer);
        if (delayMs > 0) {
            transport.scheduler.schedule(() -> enqueue(message), delayMs, TimeUnit.MILLISECONDS);
        } else {
            enqueue(message);
        }
    }

    private boolean reserve(int size) {
        long bound = transport.options.inflightBytesMaxPerPeer();
        while (true) {
            long before = queuedBytes.get();
            if (before + size > bound) {
                return false;
            }
            if (queuedBytes.compareAndSet(before, before + size)) {
                return true;
            }
        }
    }

    private void enqueue(ConsensusMessagePB message) {
        queue.add(message);
        flush();
    }

    /** Drains the queue into batches while the stream is ready; see the class comment. */
    void flush() {
        if (flushWork.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            ClientCallStreamObserver<ConsensusBatchPB> current = stream;
            if (current == null) {
                if (state != State.STREAMING) {
                    dropQueued(); // between a stream's start and its publication the queue just waits
                }
            } else {
                drainInto(current);
            }
            missed = flushWork.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drainInto(ClientCallStreamObserver<ConsensusBatchPB> current) {
        long batchBytesMax = transport.options.batchBytesMax();
        while (!queue.isEmpty() && current.isReady()) {
            ConsensusBatchPB.Builder batch = ConsensusBatchPB.newBuilder();
            long bytes = 0;
            ConsensusMessagePB next;
            while ((next = queue.peek()) != null
                    && (batch.getMessagesCount() == 0 || bytes + next.getSerializedSize() <= batchBytesMax)) {
                queue.poll();
                batch.addMessages(next);
                bytes += next.getSerializedSize();
            }
            int count = batch.getMessagesCount();
            queuedBytes.addAndGet(-bytes);
            try {
                current.onNext(batch.build());
            } catch (RuntimeException e) {
                // The call was cancelled under us; its onError callback starts the back-off.
                transport.droppedDisconnected.add(count);
                return;
            }
            transport.messagesSent.add(count);
            transport.batchesSent.increment();
        }
    }

    private void dropQueued() {
        ConsensusMessagePB dropped;
        while ((dropped = queue.poll()) != null) {
            queuedBytes.addAndGet(-dropped.getSerializedSize());
            transport.droppedDisconnected.increment();
        }
    }

    /** Opens the stream when idle; false while backing off or closed (the message is to be dropped). */
    private synchronized boolean openStreamUnlessBackingOff() {
        switch (state) {
            case STREAMING:
                return true;
            case BACKING_OFF:
            case CLOSED:
                return false;
            case IDLE:
            default:
                return openStream();
        }
    }

    synchronized ManagedChannel channel() {
        HostPort current = transport.peers.lookup(peer).orElse(address);
        if (channel == null || !current.equals(address)) {
            if (channel != null) {
                channel.shutdownNow();
            }
            address = current;
            channel = NettyChannelBuilder.forAddress(current.host(), current.port())
                    .usePlaintext()
                    .directExecutor()
                    .disableRetry() // retries would buffer whole streams in memory; Raft retries instead
                    .maxInboundMessageSize(transport.options.maxInboundMessageBytes())
                    .keepAliveTime(10, TimeUnit.SECONDS)
                    .keepAliveTimeout(5, TimeUnit.SECONDS)
                    .build();
        }
        return channel;
    }

    /** Holds the lock. Starts a new Deliver stream; callbacks of older streams are ignored by generation. */
    private boolean openStream() {
        if (transport.isClosed()) {
            state = State.CLOSED;
            return false;
        }
        ManagedChannel current = channel();
        current.resetConnectBackoff(); // our back-off governs; the channel's own would wait up to 2 minutes
        long generation = ++streamGeneration;
        state = State.STREAMING;
        @SuppressWarnings("unchecked")
        ClientCallStreamObserver<ConsensusBatchPB>[] started = new ClientCallStreamObserver[1];
        ConsensusServiceGrpc.newStub(current).deliver(new ClientResponseObserver<ConsensusBatchPB, DeliverAckPB>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ConsensusBatchPB> requestStream) {
                started[0] = requestStream;
                requestStream.setOnReadyHandler(() -> onReady(generation, requestStream));
            }

            @Override
            public void onNext(DeliverAckPB ack) {}

            @Override
            public void onError(Throwable failure) {
                onStreamEnded(generation, failure);
            }

            @Override
            public void onCompleted() {
                onStreamEnded(generation, null);
            }
        });
        // Published only now: before the call has started, isReady() fails inside gRPC. A failure
        // callback on another thread waits for our lock and then clears it; one that ran inline
        // (the lock is reentrant) already moved us to BACKING_OFF, so the dead stream is not published.
        if (state == State.STREAMING) {
            stream = started[0];
        }
        return state == State.STREAMING;
    }

    private void onReady(long generation, ClientCallStreamObserver<ConsensusBatchPB> requestStream) {
        if (requestStream.isReady()) {
            synchronized (this) {
                if (generation == streamGeneration && failuresInARow > 0) {
                    LOG.info("{} -> {}: consensus stream re-established at {}", transport.self, peer, address);
                    failuresInARow = 0; // connected: the next failure starts the back-off from the bottom
                }
            }
        }
        flush();
    }

    private void onStreamEnded(long generation, Throwable failure) {
        synchronized (this) {
            if (generation != streamGeneration || state == State.CLOSED) {
                return;
            }
            stream = null;
            transport.streamFailures.increment();
            if (transport.isClosed()) {
                state = State.CLOSED;
            } else {
                state = State.BACKING_OFF;
                failuresInARow++;
                long delayMs = backoffMs(failuresInARow);
                if (failuresInARow == 1) {
                    LOG.info("{} -> {}: consensus stream to {} ended ({}); reconnecting with back-off",
                            transport.self, peer, address, failure == null ? "completed" : failure.toString());
                } else {
                    LOG.debug("{} -> {}: attempt {} failed ({}); next in {} ms", transport.self, peer,
                            failuresInARow, failure, delayMs);
                }
                try {
                    transport.scheduler.schedule(this::reconnect, delayMs, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    state = State.CLOSED;
                }
            }
        }
        flush(); // drops what was queued for the dead stream and releases its bytes
    }

    private synchronized void reconnect() {
        if (state == State.BACKING_OFF) {
            openStream();
        }
    }

    /** Jittered exponential back-off: the n-th failure in a row waits in [d/2, d], d = min * 2^(n-1) <= max. */
    long backoffMs(int failures) {
        long minMs = transport.options.reconnectBackoffMin().toMillis();
        long maxMs = transport.options.reconnectBackoffMax().toMillis();
        long delayMs = Math.min(maxMs, minMs << Math.min(failures - 1, 20));
        return delayMs / 2 + ThreadLocalRandom.current().nextLong(delayMs / 2 + 1);
    }

    /** The peer moved: cancel the stream so the next one goes to the new address. */
    synchronized void addressChanged(HostPort newAddress) {
        if (channel != null && !newAddress.equals(address)) {
            ClientCallStreamObserver<ConsensusBatchPB> current = stream;
            if (current != null) {
                current.cancel("peer " + peer + " moved to " + newAddress, null);
            }
            failuresInARow = 0;
        }
    }

    void close() {
        ClientCallStreamObserver<ConsensusBatchPB> current;
        synchronized (this) {
            state = State.CLOSED;
            current = stream;
            stream = null;
        }
        if (current != null) {
            current.cancel("the transport of " + transport.self + " is closing", null); // thread-safe, unlike onCompleted
        }
        flush();
        synchronized (this) {
            if (channel != null) {
                channel.shutdown();
            }
        }
    }

    void awaitClosed() {
        ManagedChannel current;
        synchronized (this) {
            current = channel;
        }
        if (current == null) {
            return;
        }
        try {
            if (!current.awaitTermination(2, TimeUnit.SECONDS)) {
                current.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            current.shutdownNow();
        }
    }
}
