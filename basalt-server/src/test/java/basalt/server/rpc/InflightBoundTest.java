package basalt.server.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.consensus.driver.Transport;
import basalt.proto.ConsensusBatchPB;
import basalt.proto.ConsensusServiceGrpc;
import basalt.proto.DeliverAckPB;
import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Goal: with a receiver that stopped reading, the sender's queued bytes for it never pass the per-peer
 * bound, and the excess is dropped and counted rather than buffered. Method: a gRPC server whose
 * Deliver never requests a message (HTTP/2 flow control then stalls the stream), 3,000 appends of
 * 4 KiB (12 MiB) against a 64 KiB bound, checking the queue after every send.
 */
class InflightBoundTest {
    private static final NodeId SELF = NodeId.of("sender");
    private static final NodeId STALLED = NodeId.of("stalled");

    /** Accepts the stream and never reads from it, like a process stopped with SIGSTOP. */
    private static final class StalledReceiver extends ConsensusServiceGrpc.ConsensusServiceImplBase {
        @Override
        public StreamObserver<ConsensusBatchPB> deliver(StreamObserver<DeliverAckPB> response) {
            ((ServerCallStreamObserver<DeliverAckPB>) response).disableAutoRequest();
            return new StreamObserver<>() {
                @Override
                public void onNext(ConsensusBatchPB batch) {}

                @Override
                public void onError(Throwable failure) {}

                @Override
                public void onCompleted() {}
            };
        }
    }

    @Test
    void queuedBytesNeverPassTheBound() throws Exception {
        long bound = 64 * 1024;
        TransportOptions options = TransportOptions.DEFAULTS.withInflightBytesMaxPerPeer(bound);
        try (ConsensusRpcServer receiver = ConsensusRpcServer.start(new HostPort("127.0.0.1", 0), options,
                List.of(new StalledReceiver()))) {
            PeerDirectory peers = new PeerDirectory();
            peers.put(STALLED, receiver.address());
            try (GrpcConsensusTransport transport = new GrpcConsensusTransport(SELF, peers, new NetworkFaults(), options)) {
                Transport group = transport.transportFor("g");
                ByteString payload = ByteString.copyFrom(new byte[4096]);
                // First let the stream connect, so the stall is the receiver's, not the handshake's.
                group.send(new Message.TimeoutNow(SELF, STALLED, 1));
                GrpcConsensusTransportTest.await(() -> transport.stats().messagesSent() == 1, "the stream is up");
                long maxSeen = 0;
                for (int i = 1; i <= 3000; i++) {
                    Entry entry = new Entry(new OpId(1, i), EntryType.NORMAL, payload);
                    group.send(new Message.AppendRequest(SELF, STALLED, 1, new OpId(1, i - 1), List.of(entry), 0));
                    maxSeen = Math.max(maxSeen, transport.queuedBytes(STALLED));
                    assertThat(transport.queuedBytes(STALLED)).isLessThanOrEqualTo(bound);
                }
                GrpcConsensusTransport.Stats stats = transport.stats();
                assertThat(stats.droppedOverflow()).isPositive();
                // What left went into gRPC's stalled stream: its flow-control window, not 12 MiB.
                assertThat(stats.messagesSent() * 4096).isLessThan(4L << 20);
                assertThat(stats.messagesSent() - 1 + stats.droppedOverflow() + transport.queuedBytes(STALLED) / 4096)
                        .isLessThanOrEqualTo(3000);
                System.out.printf("in-flight bound %d B: max queued %d B, sent %d, dropped %d%n", bound, maxSeen,
                        stats.messagesSent(), stats.droppedOverflow());
            }
        }
    }
}
