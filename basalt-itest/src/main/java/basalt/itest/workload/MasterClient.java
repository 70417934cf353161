package basalt.itest.workload;

import basalt.common.net.HostPort;
import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.proto.MasterServiceGrpc;
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
import java.util.function.Supplier;

/**
 * A minimal client of the masters for tests and benchmarks, until the real client arrives: calls the
 * leader master, following NOT_THE_LEADER hints and retrying SERVICE_UNAVAILABLE and unreachable
 * masters with jittered back-off until a deadline. Other errors come back in the response.
 *
 * <p>Failover speed: it sleeps only once every master was tried since the last sleep (an unreachable
 * or leaderless master says nothing about the others), the back-off is capped at {@link #MAX_BACKOFF_MS}
 * (an election takes 300-600 ms; a longer cap only adds to the wait after the new leader is ready, and a
 * refusal costs a master almost nothing), and a channel that gRPC is backing off from reconnecting
 * (a killed master, now restarted on the same port) is told to reconnect at once.
 */
public final class MasterClient implements AutoCloseable {
    /** How to read a response's error field. */
    public interface ErrorOf<T> extends Function<T, Optional<ErrorPB>> {}

    static final long MAX_BACKOFF_MS = 20;

    private final Supplier<List<HostPort>> masters;
    private final Duration rpcTimeout;
    private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile HostPort leaderGuess;
    /** Told of every retry and why (benchmarks use it to explain where failover time went). */
    private volatile java.util.function.Consumer<String> retryListener = why -> { };

    public MasterClient(Supplier<List<HostPort>> masters, Duration rpcTimeout) {
        this.masters = masters;
        this.rpcTimeout = rpcTimeout;
    }

    /**
     * Calls the leader; returns the first response that is not a retriable refusal, or throws
     * {@link TabletClient.CallFailedException} once the deadline passes.
     */
    public <T> T call(Function<MasterServiceGrpc.MasterServiceBlockingStub, T> rpc, ErrorOf<T> errorOf,
                      Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        long backoffMs = 5;
        String last = "no attempt";
        int attempt = 0;
        int triedSinceSleep = 0;
        while (System.nanoTime() < end) {
            List<HostPort> candidates = masters.get();
            HostPort target = leaderGuess != null ? leaderGuess : candidates.get(attempt % candidates.size());
            attempt++;
            triedSinceSleep++;
            long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()));
            try {
                T response = rpc.apply(MasterServiceGrpc.newBlockingStub(channel(target))
                        .withDeadlineAfter(Math.min(leftMs, rpcTimeout.toMillis()), TimeUnit.MILLISECONDS));
                Optional<ErrorPB> error = errorOf.apply(response);
                if (error.isEmpty() || !retriable(error.get().getCode())) {
                    leaderGuess = target;
                    return response;
                }
                last = target + ": " + error.get().getCode() + " " + error.get().getMessage();
                retryListener.accept(last);
                if (error.get().getCode() == Code.NOT_THE_LEADER && error.get().hasLeaderAddress()) {
                    leaderGuess = new HostPort(error.get().getLeaderAddress().getHost(),
                            error.get().getLeaderAddress().getPort());
                    continue;
                }
                leaderGuess = null;
            } catch (StatusRuntimeException e) {
                last = target + ": " + e.getStatus();
                retryListener.accept(last);
                leaderGuess = null;
            }
            if (triedSinceSleep < candidates.size()) {
                continue; // another master may answer at once
            }
            triedSinceSleep = 0;
            long jittered = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
            try {
                Thread.sleep(Math.max(0, Math.min(jittered, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
        throw new TabletClient.CallFailedException("masters: gave up after " + deadline + "; last: " + last,
                Optional.empty());
    }

    public void onRetry(java.util.function.Consumer<String> listener) {
        this.retryListener = listener;
    }

    /** The master that answered the last successful call (the leader, as far as this client knows). */
    public Optional<HostPort> leaderGuess() {
        return Optional.ofNullable(leaderGuess);
    }

    private static boolean retriable(Code code) {
        return code == Code.NOT_THE_LEADER || code == Code.SERVICE_UNAVAILABLE;
    }

    private ManagedChannel channel(HostPort address) {
        ManagedChannel channel = channels.computeIfAbsent(address, a -> NettyChannelBuilder.forAddress(a.host(), a.port())
                .usePlaintext().build());
        // gRPC waits 1 s and more before reconnecting to a server that went away, failing calls fast
        // meanwhile; a master restarts on the same port, and our own back-off is the one we want.
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
