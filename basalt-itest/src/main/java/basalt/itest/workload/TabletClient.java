package basalt.itest.workload;

import basalt.common.net.HostPort;
import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.proto.ReadMode;
import basalt.proto.RowPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import basalt.proto.TabletServerServiceGrpc;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A minimal client of one tablet for tests and benchmarks, until the real client arrives: it finds the
 * leader among the replicas' addresses (following NOT_THE_LEADER hints), and retries what is safe to
 * retry (NOT_THE_LEADER, SERVICE_UNAVAILABLE, TABLET_NOT_RUNNING, unreachable servers) with jittered
 * back-off until a deadline. It does not deduplicate retries: use idempotent operations (UPSERT) when a
 * retried write must not be reported twice.
 */
public final class TabletClient implements AutoCloseable {
    /** The outcome of a call that ran out of time or hit a final error. */
    public static final class CallFailedException extends RuntimeException {
        private final Optional<ErrorPB> error;

        CallFailedException(String message, Optional<ErrorPB> error) {
            super(message);
            this.error = error;
        }

        public Optional<ErrorPB> error() {
            return error;
        }
    }

    private final String tabletId;
    private final Supplier<List<HostPort>> replicas;
    private final Duration rpcTimeout;
    private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile HostPort leaderGuess;

    public TabletClient(String tabletId, Supplier<List<HostPort>> replicas, Duration rpcTimeout) {
        this.tabletId = tabletId;
        this.replicas = replicas;
        this.rpcTimeout = rpcTimeout;
    }

    public WriteResponsePB write(WriteRequestPB request, Duration deadline) {
        return call(stub -> stub.write(request.toBuilder().setTabletId(tabletId).build()),
                WriteResponsePB::hasError, WriteResponsePB::getError, deadline);
    }

    /** Every row of the tablet at the leader, read at one snapshot, in key order. */
    public List<RowPB> scanAll(Duration deadline) {
        List<RowPB> rows = new ArrayList<>();
        ScanRequestPB.Builder request = ScanRequestPB.newBuilder().setTabletId(tabletId)
                .setReadMode(ReadMode.READ_AT_SNAPSHOT).setBatchMaxRows(10_000);
        long end = System.nanoTime() + deadline.toNanos();
        // Bounded: each round returns at least one row or ends the scan.
        for (int round = 0; round < 1_000_000; round++) {
            Duration left = Duration.ofNanos(Math.max(1, end - System.nanoTime()));
            ScanRequestPB current = request.build();
            ScanResponsePB response = call(stub -> stub.scan(current), ScanResponsePB::hasError,
                    ScanResponsePB::getError, left);
            rows.addAll(response.getRowsList());
            request.setSnapshotTimestamp(response.getSnapshotTimestamp());
            if (!response.getHasMore()) {
                return rows;
            }
            request.setResumeAfterKey(response.getLastKey());
        }
        throw new IllegalStateException("scan of tablet " + tabletId + " did not end");
    }

    public Optional<HostPort> leaderGuess() {
        return Optional.ofNullable(leaderGuess);
    }

    private <T> T call(Function<TabletServerServiceGrpc.TabletServerServiceBlockingStub, T> rpc,
                       java.util.function.Predicate<T> failed, Function<T, ErrorPB> errorOf, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        long backoffMs = 5;
        String lastProblem = "no attempt";
        Optional<ErrorPB> lastError = Optional.empty();
        int attempt = 0;
        while (System.nanoTime() < end) {
            List<HostPort> candidates = replicas.get();
            if (candidates.isEmpty()) {
                // Every replica is down (all killed, restarting): wait for one to come back, until the deadline.
                lastProblem = "no live replica";
                sleepBackoff(backoffMs, end);
                backoffMs = Math.min(200, backoffMs * 2);
                continue;
            }
            HostPort target = leaderGuess != null && candidates.contains(leaderGuess)
                    ? leaderGuess : candidates.get(attempt % candidates.size());
            attempt++;
            long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()));
            try {
                T response = rpc.apply(TabletServerServiceGrpc.newBlockingStub(channel(target))
                        .withDeadlineAfter(Math.min(leftMs, rpcTimeout.toMillis()), TimeUnit.MILLISECONDS));
                if (!failed.test(response)) {
                    leaderGuess = target;
                    return response;
                }
                ErrorPB error = errorOf.apply(response);
                lastError = Optional.of(error);
                lastProblem = target + ": " + error.getCode() + " " + error.getMessage();
                if (!retriable(error.getCode())) {
                    throw new CallFailedException(lastProblem, lastError);
                }
                leaderGuess = error.getCode() == Code.NOT_THE_LEADER && error.hasLeaderAddress()
                        ? new HostPort(error.getLeaderAddress().getHost(), error.getLeaderAddress().getPort())
                        : null;
                if (leaderGuess != null) {
                    continue; // follow the hint at once
                }
            } catch (StatusRuntimeException e) {
                lastProblem = target + ": " + e.getStatus();
                leaderGuess = null;
            }
            sleepBackoff(backoffMs, end);
            backoffMs = Math.min(50, backoffMs * 2);
        }
        throw new CallFailedException("tablet " + tabletId + ": gave up after " + deadline + "; last: " + lastProblem,
                lastError);
    }

    private static boolean retriable(Code code) {
        return code == Code.NOT_THE_LEADER || code == Code.SERVICE_UNAVAILABLE || code == Code.TABLET_NOT_RUNNING
                || code == Code.TABLET_NOT_FOUND;
    }

    private static void sleepBackoff(long backoffMs, long endNanos) {
        long jittered = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
        long left = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
        try {
            Thread.sleep(Math.max(0, Math.min(jittered, left))); // retry back-off, bounded by the deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallFailedException("interrupted", Optional.empty());
        }
    }

    private ManagedChannel channel(HostPort address) {
        return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forAddress(a.host(), a.port())
                .usePlaintext().maxInboundMessageSize(64 << 20).build());
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
