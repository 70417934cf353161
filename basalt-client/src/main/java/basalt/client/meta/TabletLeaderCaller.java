package basalt.client.meta;

import basalt.client.BasaltException;
import basalt.client.rpc.Channels;
import basalt.client.rpc.Deadline;
import basalt.client.rpc.GrpcCall;
import basalt.client.rpc.Outcome;
import basalt.client.rpc.Retrier;
import basalt.client.rpc.RetryRules;
import basalt.common.net.HostPort;
import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.proto.TabletServerServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Calls the leader of one tablet, wherever it is now. Each call starts at the cached leader guess (or the
 * replica the master named leader) and moves on:
 * <ul>
 *   <li>NOT_THE_LEADER with a hint: straight to the hinted replica (unless it already failed this call);</li>
 *   <li>NOT_THE_LEADER without a hint, TABLET_NOT_FOUND, TABLET_NOT_RUNNING, an unreachable server: that
 *       replica is skipped for the rest of the call and the next replica is tried; once every replica
 *       failed, the table's cached locations are dropped (the master may know better by now), and the call
 *       backs off and starts over (TABLET_NOT_FOUND drops them at once: the replica moved);</li>
 *   <li>SERVICE_UNAVAILABLE (a new leader not ready, a snapshot not yet safe) and ABORTED: back off, same
 *       replica;</li>
 *   <li>anything else: the call fails with that code.</li>
 * </ul>
 */
public final class TabletLeaderCaller {
    private final MetaCache metaCache;
    private final Channels channels;
    private final Retrier retrier;
    private final Duration attemptTimeout;

    public TabletLeaderCaller(MetaCache metaCache, Channels channels, Retrier retrier, Duration attemptTimeout) {
        this.metaCache = metaCache;
        this.channels = channels;
        this.retrier = retrier;
        this.attemptTimeout = attemptTimeout;
    }

    /** What a call needs: the request (built per attempt, so request ids can be refreshed) and its error field. */
    public interface TabletRpc<T> {
        void send(TabletServerServiceGrpc.TabletServerServiceStub stub, StreamObserver<T> observer);
    }

    public <T> CompletableFuture<T> call(String what, String tableId, String tabletId, Deadline deadline,
                                         TabletRpc<T> rpc, Function<T, Optional<ErrorPB>> errorOf) {
        CallState state = new CallState();
        return retrier.run(what, deadline, () -> metaCache.locations(tableId, deadline).handle((locations, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                // The fetch is shared: it may have run out of another caller's (shorter) time, not ours.
                if (cause instanceof BasaltException e && e.code() == Code.TIMED_OUT && !deadline.expired()) {
                    return CompletableFuture.completedFuture(Outcome.<T>retryLater(e.getMessage()));
                }
                return CompletableFuture.<Outcome<T>>failedFuture(cause);
            }
            Optional<TabletLocation> tablet = locations.tablet(tabletId);
            if (tablet.isEmpty()) {
                metaCache.invalidate(tableId, locations);
                return CompletableFuture.completedFuture(Outcome.<T>fail(new BasaltException(Code.NOT_FOUND,
                        what + ": table " + tableId + " has no tablet " + tabletId + " any more")));
            }
            return attempt(what, locations, tablet.get(), state, deadline, rpc, errorOf);
        }).thenCompose(java.util.function.Function.identity()));
    }

    /** What one call learned across its attempts. */
    private static final class CallState {
        final Set<HostPort> failed = new LinkedHashSet<>();
        HostPort hinted;
        int rotation;
    }

    private <T> CompletableFuture<Outcome<T>> attempt(String what, TableLocations locations, TabletLocation tablet,
                                                      CallState state, Deadline deadline, TabletRpc<T> rpc,
                                                      Function<T, Optional<ErrorPB>> errorOf) {
        HostPort target = pickTarget(tablet, state);
        if (target == null) {
            return CompletableFuture.completedFuture(Outcome.retryLater(tablet + ": no replica has an address"));
        }
        TabletServerServiceGrpc.TabletServerServiceStub stub = TabletServerServiceGrpc.newStub(channels.channel(target))
                .withDeadlineAfter(deadline.attemptMillis(attemptTimeout), TimeUnit.MILLISECONDS);
        return GrpcCall.<T>unary(observer -> rpc.send(stub, observer)).handle((response, failure) -> {
            if (failure != null) {
                Status status = RetryRules.statusOf(failure);
                if (status != null && RetryRules.networkError(status)) {
                    return skip(locations, tablet, state, target, what + " at " + target + ": " + status);
                }
                return Outcome.fail(new BasaltException(Code.INTERNAL, what + " at " + target + ": " + failure, failure));
            }
            Optional<ErrorPB> error = errorOf.apply(response);
            if (error.isEmpty()) {
                tablet.leaderIs(target);
                return Outcome.done(response);
            }
            ErrorPB e = error.get();
            String why = what + " at " + target + ": " + e.getCode() + " " + e.getMessage();
            switch (e.getCode()) {
                case NOT_THE_LEADER -> {
                    if (e.hasLeaderAddress()) {
                        HostPort hinted = MasterLocator.address(e.getLeaderAddress());
                        if (!hinted.equals(target) && !state.failed.contains(hinted)) {
                            state.hinted = hinted;
                            tablet.leaderIs(hinted);
                            return Outcome.retryNow(why);
                        }
                    }
                    return skip(locations, tablet, state, target, why);
                }
                case TABLET_NOT_FOUND, TABLET_NOT_RUNNING -> {
                    if (e.getCode() == Code.TABLET_NOT_FOUND) {
                        metaCache.invalidate(locations.table().getTableId(), locations); // the replica moved
                    }
                    return skip(locations, tablet, state, target, why);
                }
                default -> {
                    if (RetryRules.retriable(e.getCode())) {
                        return Outcome.retryLater(why);
                    }
                    return Outcome.fail(BasaltException.of(what, e));
                }
            }
        });
    }

    /** Skips a replica for the rest of the call; retries at once while another replica is untried. */
    private <T> Outcome<T> skip(TableLocations locations, TabletLocation tablet, CallState state,
                                HostPort target, String why) {
        state.failed.add(target);
        if (target.equals(state.hinted)) {
            state.hinted = null;
        }
        tablet.leaderFailed(target);
        boolean untried = tablet.addresses().stream().anyMatch(address -> !state.failed.contains(address));
        if (untried) {
            return Outcome.retryNow(why);
        }
        state.failed.clear(); // every replica failed once: start over after a back-off, from fresh locations
        metaCache.invalidate(locations.table().getTableId(), locations);
        return Outcome.retryLater(why);
    }

    private static HostPort pickTarget(TabletLocation tablet, CallState state) {
        if (state.hinted != null) {
            return state.hinted;
        }
        Optional<HostPort> guess = tablet.leaderGuess();
        if (guess.isPresent() && !state.failed.contains(guess.get())) {
            return guess.get();
        }
        List<HostPort> addresses = tablet.addresses();
        for (int i = 0; i < addresses.size(); i++) {
            HostPort candidate = addresses.get((state.rotation + i) % addresses.size());
            if (!state.failed.contains(candidate)) {
                state.rotation = (state.rotation + i + 1) % addresses.size();
                return candidate;
            }
        }
        return null;
    }
}
