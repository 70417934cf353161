package basalt.cli.rpc;

import basalt.common.net.HostPort;
import basalt.proto.Code;
import basalt.proto.ConsensusServiceGrpc;
import basalt.proto.ErrorPB;
import basalt.proto.HostPortPB;
import basalt.proto.MasterServiceGrpc;
import basalt.proto.RequestIdPB;
import basalt.proto.TabletServerServiceGrpc;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Calls to the leader master and to tablet leaders, with one channel per server shared by every thread.
 *
 * <p>Retries: a call is sent again only when the answer proves nothing was applied: NOT_THE_LEADER
 * (followed at once when it names the leader), TABLET_NOT_FOUND, TABLET_NOT_RUNNING, ABORTED, a SERVICE_UNAVAILABLE
 * refused before proposing, and a server that could not be reached. A write whose answer was lost after it
 * may have been sent (any gRPC failure but a refused connection, or "outcome unknown") is not retried: the caller gets an
 * {@link RpcFailedException} with {@code outcomeUnknown()}, since the write may have been applied and a
 * second try could apply it twice. Reads pass {@code idempotent} and are retried on those too, and so are
 * writes sent through {@link #write}, which carry a request id the tablet's replay cache deduplicates.
 */
public final class ClusterClient implements AutoCloseable {
    private static final long MAX_BACKOFF_MS = 50;

    private final List<HostPort> masters;
    private final Duration rpcTimeout;
    private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Map<String, HostPort> tabletLeaders = new ConcurrentHashMap<>();
    private final String clientId = "cli-" + java.util.UUID.randomUUID();
    private final RequestIds requestIds = new RequestIds();
    private volatile HostPort masterLeader;

    public ClusterClient(List<HostPort> masters, Duration rpcTimeout) {
        if (masters.isEmpty()) {
            throw new IllegalArgumentException("no master address given");
        }
        this.masters = List.copyOf(masters);
        this.rpcTimeout = rpcTimeout;
    }

    public List<HostPort> masters() {
        return masters;
    }

    /** How to read a response's error field. */
    public interface ErrorOf<T> extends Function<T, Optional<ErrorPB>> {}

    /** Calls the leader master; master RPCs are reads or carry a request id, so they are retried freely. */
    public <T> T master(Function<MasterServiceGrpc.MasterServiceBlockingStub, T> rpc, ErrorOf<T> errorOf, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        return retry("masters", end, true, attempt -> {
            HostPort target = masterLeader != null ? masterLeader : masters.get(attempt % masters.size());
            return new Target(target, () -> masterLeader = target, hint -> masterLeader = hint);
        }, target -> rpc.apply(MasterServiceGrpc.newBlockingStub(channel(target)).withDeadlineAfter(
                timeoutMs(end), TimeUnit.MILLISECONDS)), errorOf);
    }

    /** Calls the leader of a tablet among {@code replicas}. */
    public <T> T tablet(String tabletId, List<HostPort> replicas, boolean idempotent,
                        Function<TabletServerServiceGrpc.TabletServerServiceBlockingStub, T> rpc, ErrorOf<T> errorOf,
                        Duration deadline) {
        if (replicas.isEmpty()) {
            throw new RpcFailedException("tablet " + tabletId + " has no replica", Optional.empty(), false);
        }
        long end = System.nanoTime() + deadline.toNanos();
        return retry("tablet " + tabletId, end, idempotent, attempt -> {
            HostPort guess = tabletLeaders.get(tabletId);
            HostPort target = guess != null ? guess : replicas.get(attempt % replicas.size());
            return new Target(target, () -> tabletLeaders.put(tabletId, target), hint -> {
                if (hint == null) {
                    tabletLeaders.remove(tabletId);
                } else {
                    tabletLeaders.put(tabletId, hint);
                }
            });
        }, target -> rpc.apply(TabletServerServiceGrpc.newBlockingStub(channel(target)).withDeadlineAfter(
                timeoutMs(end), TimeUnit.MILLISECONDS)), errorOf);
    }

    /**
     * Writes to a tablet under a request id of this client, so the tablet's replay cache answers a retry with
     * the first attempt's outcome: the write is retried through lost answers and applied at most once.
     */
    public WriteResponsePB write(String tabletId, List<HostPort> replicas, WriteRequestPB request, Duration deadline) {
        long sequence = requestIds.start();
        WriteRequestPB identified = request.toBuilder().setRequestId(RequestIdPB.newBuilder().setClientId(clientId)
                .setSequence(sequence).setFirstIncompleteSequence(requestIds.firstIncomplete())).build();
        try {
            return tablet(tabletId, replicas, true, stub -> stub.write(identified),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), deadline);
        } finally {
            // Never retried after this, whatever the outcome: the tablet may forget it.
            requestIds.finish(sequence);
        }
    }

    /** Sequences of this client's writes; the first incomplete one tells tablets which outcomes to keep. */
    private static final class RequestIds {
        private final java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong(1);
        private final java.util.concurrent.ConcurrentSkipListSet<Long> outstanding = new java.util.concurrent.ConcurrentSkipListSet<>();

        long start() {
            long sequence = next.getAndIncrement();
            outstanding.add(sequence);
            return sequence;
        }

        long firstIncomplete() {
            Long first = outstanding.isEmpty() ? null : outstanding.first();
            return first != null ? first : next.get();
        }

        void finish(long sequence) {
            outstanding.remove(sequence);
        }
    }

    /** A stub of one server's tablet service (any server answers GetStatus, ListTablets, Checksum). */
    public TabletServerServiceGrpc.TabletServerServiceBlockingStub tabletServer(HostPort server, Duration timeout) {
        return TabletServerServiceGrpc.newBlockingStub(channel(server)).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A stub of one server's consensus service (masters and tablet servers both serve it). */
    public ConsensusServiceGrpc.ConsensusServiceBlockingStub consensus(HostPort server, Duration timeout) {
        return ConsensusServiceGrpc.newBlockingStub(channel(server)).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A stub of one master, not necessarily the leader. */
    public MasterServiceGrpc.MasterServiceBlockingStub masterAt(HostPort master, Duration timeout) {
        return MasterServiceGrpc.newBlockingStub(channel(master)).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public static HostPort address(HostPortPB pb) {
        return new HostPort(pb.getHost(), pb.getPort());
    }

    private record Target(HostPort address, Runnable onSuccess, java.util.function.Consumer<HostPort> onHint) {}

    private interface Attempt<T> {
        T send(HostPort target);
    }

    private <T> T retry(String what, long endNanos, boolean idempotent, Function<Integer, Target> pick,
                        Attempt<T> send, ErrorOf<T> errorOf) {
        long backoffMs = 5;
        String last = "no attempt";
        Optional<ErrorPB> lastError = Optional.empty();
        boolean maybeApplied = false; // some attempt may have been applied (only an idempotent call gets past one)
        // Bounded by the deadline; each pass either returns, throws, or backs off.
        for (int attempt = 0; System.nanoTime() < endNanos; attempt++) {
            Target target = pick.apply(attempt);
            try {
                T response = send.send(target.address());
                Optional<ErrorPB> error = errorOf.apply(response);
                if (error.isEmpty()) {
                    target.onSuccess().run();
                    return response;
                }
                lastError = error;
                last = target.address() + ": " + error.get().getCode() + " " + error.get().getMessage();
                if (!certainlyNotApplied(error.get())) {
                    if (error.get().getCode() == Code.SERVICE_UNAVAILABLE && !idempotent) {
                        throw new RpcFailedException(what + ": " + last, error, true);
                    }
                    maybeApplied |= error.get().getCode() == Code.SERVICE_UNAVAILABLE;
                    if (error.get().getCode() != Code.SERVICE_UNAVAILABLE) {
                        return response; // a final answer: the caller reads the error
                    }
                }
                if (error.get().getCode() == Code.NOT_THE_LEADER && error.get().hasLeaderAddress()
                        && !address(error.get().getLeaderAddress()).equals(target.address())) {
                    target.onHint().accept(address(error.get().getLeaderAddress()));
                    continue;
                }
                target.onHint().accept(null);
            } catch (StatusRuntimeException e) {
                last = target.address() + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription();
                target.onHint().accept(null);
                if (!neverConnected(e)) {
                    if (!idempotent) {
                        throw new RpcFailedException(what + ": outcome unknown: " + last, Optional.empty(), true);
                    }
                    maybeApplied = true;
                }
            }
            sleep(backoffMs, endNanos);
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
        // Unless an attempt may have been applied, every one certainly was not: a definite failure.
        throw new RpcFailedException(what + ": no answer within the deadline" + (maybeApplied ? " (outcome unknown)" : "")
                + "; last: " + last, lastError, maybeApplied);
    }

    /** True when no connection was made, so the request was certainly not sent. */
    private static boolean neverConnected(StatusRuntimeException e) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** True when the server says nothing was applied: safe to send again anywhere. */
    private static boolean certainlyNotApplied(ErrorPB error) {
        return switch (error.getCode()) {
            // ABORTED: the entry lost to a new leader's entry, so it will never be applied.
            case NOT_THE_LEADER, TABLET_NOT_FOUND, TABLET_NOT_RUNNING, ABORTED -> true;
            // "outcome unknown" comes after proposing; the other SERVICE_UNAVAILABLEs refuse before.
            case SERVICE_UNAVAILABLE -> !error.getMessage().startsWith("outcome unknown");
            default -> false;
        };
    }

    private long timeoutMs(long endNanos) {
        return Math.max(1, Math.min(rpcTimeout.toMillis(), TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime())));
    }

    private static void sleep(long backoffMs, long endNanos) {
        long jittered = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
        long left = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
        try {
            Thread.sleep(Math.max(0, Math.min(jittered, left))); // retry back-off, bounded by the deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RpcFailedException("interrupted", Optional.empty(), true);
        }
    }

    private ManagedChannel channel(HostPort address) {
        ManagedChannel channel = channels.computeIfAbsent(address, a -> NettyChannelBuilder.forAddress(a.host(), a.port())
                .usePlaintext().maxInboundMessageSize(64 << 20).build());
        // A killed server restarts on the same port; gRPC's own reconnect back-off would only add to ours.
        if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            channel.resetConnectBackoff();
        }
        return channel;
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
