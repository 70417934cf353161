package basalt.client.rpc;

import basalt.common.net.HostPort;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One gRPC channel per server address, shared by every call of a client; closed with the client. */
public final class Channels implements AutoCloseable {
    private static final int MAX_MESSAGE_BYTES = 64 << 20;

    private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public ManagedChannel channel(HostPort address) {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
        ManagedChannel channel = channels.computeIfAbsent(address, a -> NettyChannelBuilder.forAddress(a.host(), a.port())
                .usePlaintext().maxInboundMessageSize(MAX_MESSAGE_BYTES).build());
        // gRPC waits a second and more before reconnecting to a server that went away and fails calls fast
        // meanwhile; servers restart on the same port, and the caller's own back-off is the one we want.
        if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            channel.resetConnectBackoff();
        }
        return channel;
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
