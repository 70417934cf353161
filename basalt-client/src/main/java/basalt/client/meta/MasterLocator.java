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
import basalt.proto.HostPortPB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListMastersResponsePB;
import basalt.proto.MasterEntryPB;
import basalt.proto.MasterServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Finds the leader master and calls it. While the leader is unknown it asks every known master at once
 * (ListMasters) and takes the first master that says it leads, or, once all answered, the leader named
 * with the highest term. A NOT_THE_LEADER hint is followed at once. Every ListMasters answer adds the
 * masters it names to the known set, so masters added to the cluster later are used. SERVICE_UNAVAILABLE
 * (a new leader not ready yet) and unreachable masters are retried with back-off until the deadline.
 */
public final class MasterLocator {
    private final Channels channels;
    private final Retrier retrier;
    private final Duration attemptTimeout;
    private final Set<HostPort> masters;
    private volatile HostPort leader;

    public MasterLocator(List<HostPort> initialMasters, Channels channels, Retrier retrier, Duration attemptTimeout) {
        if (initialMasters.isEmpty()) {
            throw new IllegalArgumentException("at least one master address is needed");
        }
        this.channels = channels;
        this.retrier = retrier;
        this.attemptTimeout = attemptTimeout;
        this.masters = new LinkedHashSet<>(initialMasters);
    }

    /** Every master this client knows of: the ones it was given and the ones the cluster named since. */
    public synchronized List<HostPort> knownMasters() {
        return List.copyOf(masters);
    }

    public Optional<HostPort> leaderGuess() {
        return Optional.ofNullable(leader);
    }

    /**
     * Calls the leader master: the response once it has no error, or fails with a {@link BasaltException}
     * for an error that is not retriable, or TIMED_OUT at the deadline.
     */
    public <T> CompletableFuture<T> call(String what, Deadline deadline,
                                         BiConsumer<MasterServiceGrpc.MasterServiceStub, StreamObserver<T>> rpc,
                                         Function<T, Optional<ErrorPB>> errorOf) {
        return retrier.run(what, deadline, () -> attempt(what, deadline, rpc, errorOf));
    }

    private <T> CompletableFuture<Outcome<T>> attempt(String what, Deadline deadline,
                                                      BiConsumer<MasterServiceGrpc.MasterServiceStub, StreamObserver<T>> rpc,
                                                      Function<T, Optional<ErrorPB>> errorOf) {
        HostPort target = leader;
        if (target == null) {
            return locateLeader(deadline).thenApply(found -> found.isPresent()
                    ? Outcome.<T>retryNow("found leader master " + found.get())
                    : Outcome.<T>retryLater("no master knows a leader"));
        }
        MasterServiceGrpc.MasterServiceStub stub = MasterServiceGrpc.newStub(channels.channel(target))
                .withDeadlineAfter(deadline.attemptMillis(attemptTimeout), TimeUnit.MILLISECONDS);
        return GrpcCall.<T>unary(observer -> rpc.accept(stub, observer)).handle((response, failure) -> {
            if (failure != null) {
                Status status = RetryRules.statusOf(failure);
                if (status != null && RetryRules.networkError(status)) {
                    forgetLeader(target);
                    return Outcome.retryLater("master " + target + ": " + status);
                }
                return Outcome.fail(new BasaltException(Code.INTERNAL, what + " at master " + target + ": " + failure,
                        failure));
            }
            Optional<ErrorPB> error = errorOf.apply(response);
            if (error.isEmpty()) {
                return Outcome.done(response);
            }
            ErrorPB e = error.get();
            String why = "master " + target + ": " + e.getCode() + " " + e.getMessage();
            if (e.getCode() == Code.NOT_THE_LEADER) {
                if (e.hasLeaderAddress() && !address(e.getLeaderAddress()).equals(target)) {
                    HostPort hinted = address(e.getLeaderAddress());
                    learn(hinted);
                    leader = hinted;
                    return Outcome.retryNow(why);
                }
                forgetLeader(target);
                return Outcome.retryLater(why);
            }
            if (RetryRules.retriable(e.getCode())) {
                return Outcome.retryLater(why);
            }
            return Outcome.fail(BasaltException.of(what, e));
        });
    }

    private void forgetLeader(HostPort failed) {
        if (failed.equals(leader)) {
            leader = null;
        }
    }

    /**
     * Asks every known master at once who leads. Completes early with a master that names itself leader;
     * otherwise, once every master answered or failed, with the leader named at the highest term.
     */
    CompletableFuture<Optional<HostPort>> locateLeader(Deadline deadline) {
        List<HostPort> asked = knownMasters();
        CompletableFuture<Optional<HostPort>> found = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(asked.size());
        List<MasterEntryPB> named = new ArrayList<>();
        for (HostPort master : asked) {
            MasterServiceGrpc.MasterServiceStub stub = MasterServiceGrpc.newStub(channels.channel(master))
                    .withDeadlineAfter(deadline.attemptMillis(attemptTimeout), TimeUnit.MILLISECONDS);
            GrpcCall.<ListMastersResponsePB>unary(observer -> stub.listMasters(ListMastersRequestPB.getDefaultInstance(),
                    observer)).whenComplete((response, failure) -> {
                if (failure == null && !response.hasError()) {
                    for (MasterEntryPB entry : response.getMastersList()) {
                        if (entry.hasRpcAddress()) {
                            learn(address(entry.getRpcAddress()));
                        }
                        if (entry.getRole().equals("LEADER") && entry.hasRpcAddress()) {
                            synchronized (named) {
                                named.add(entry);
                            }
                            if (address(entry.getRpcAddress()).equals(master)) {
                                leader = master;
                                found.complete(Optional.of(master));
                            }
                        }
                    }
                }
                if (pending.decrementAndGet() == 0 && !found.isDone()) {
                    Optional<HostPort> best;
                    synchronized (named) {
                        best = named.stream().max(java.util.Comparator.comparingLong(MasterEntryPB::getTerm))
                                .map(entry -> address(entry.getRpcAddress()));
                    }
                    best.ifPresent(address -> leader = address);
                    found.complete(best);
                }
            });
        }
        return found;
    }

    private synchronized void learn(HostPort master) {
        masters.add(master);
    }

    static HostPort address(HostPortPB address) {
        return new HostPort(address.getHost(), address.getPort());
    }
}
