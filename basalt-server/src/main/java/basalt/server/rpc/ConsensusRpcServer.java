package basalt.server.rpc;

import basalt.common.net.HostPort;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server with the consensus and fault-injection services (and any more the caller adds, such as
 * the tablet service). Port 0 binds a port the OS picks; {@link #port()} tells which. Handlers run on
 * the transport threads ({@code directExecutor}): every handler here only decodes and enqueues.
 */
public final class ConsensusRpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsensusRpcServer.class);

    private final Server server;
    private final HostPort address;

    private ConsensusRpcServer(Server server, HostPort address) {
        this.server = server;
        this.address = address;
    }

    /** Binds {@code bind} (port 0: any free port) and starts serving {@code services}. */
    public static ConsensusRpcServer start(HostPort bind, TransportOptions options, List<BindableService> services)
            throws IOException {
        return start(bind, options, services, List.of());
    }

    /** As {@link #start(HostPort, TransportOptions, List)}, every call passing through {@code interceptors} (metrics). */
    public static ConsensusRpcServer start(HostPort bind, TransportOptions options, List<BindableService> services,
                                           List<io.grpc.ServerInterceptor> interceptors) throws IOException {
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(bind.host(), bind.port()))
                .directExecutor()
                .maxInboundMessageSize(options.maxInboundMessageBytes())
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        services.forEach(service -> builder.addService(io.grpc.ServerInterceptors.intercept(service, interceptors)));
        Server server = builder.build().start();
        HostPort bound = new HostPort(bind.host(), ((InetSocketAddress) server.getListenSockets().get(0)).getPort());
        LOG.info("consensus RPC server listening on {}", bound);
        return new ConsensusRpcServer(server, bound);
    }

    /** The usual set: consensus traffic and admin calls, plus fault injection. */
    public static ConsensusRpcServer start(HostPort bind, TransportOptions options, ConsensusServiceImpl consensus,
                                           FaultInjectionServiceImpl faults) throws IOException {
        return start(bind, options, List.of(consensus, faults));
    }

    public int port() {
        return address.port();
    }

    public HostPort address() {
        return address;
    }

    /** Stops accepting, cancels open calls (peers' streams fail and they back off), waits briefly. */
    @Override
    public void close() {
        server.shutdownNow();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("consensus RPC server on {} did not stop within 5 s", address);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
