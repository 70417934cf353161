package basalt.server.rpc;

import basalt.consensus.driver.GroupDriver;
import basalt.consensus.driver.ProposalRefusedException;
import basalt.proto.AlterSchemaRequestPB;
import basalt.proto.AlterSchemaResponsePB;
import basalt.proto.ChecksumRequestPB;
import basalt.proto.ChecksumResponsePB;
import basalt.proto.Code;
import basalt.proto.ConsensusStatePB;
import basalt.proto.CreateTabletRequestPB;
import basalt.proto.CreateTabletResponsePB;
import basalt.proto.DeleteTabletRequestPB;
import basalt.proto.DeleteTabletResponsePB;
import basalt.proto.ErrorPB;
import basalt.proto.ListTabletsRequestPB;
import basalt.proto.ListTabletsResponsePB;
import basalt.proto.MembershipPB;
import basalt.proto.OpIdPB;
import basalt.proto.PeerPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import basalt.proto.ServerStatusRequestPB;
import basalt.proto.ServerStatusResponsePB;
import basalt.proto.TabletReportPB;
import basalt.proto.TabletServerServiceGrpc;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import basalt.tablet.PreparedWrite;
import basalt.tablet.ReplayCache;
import basalt.tablet.TabletException;
import basalt.tserver.MasterTermGuard;
import basalt.tserver.TabletManager;
import basalt.tserver.TabletReplica;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tablet server's client-facing RPCs. Every failure is a specific {@link Code} in the response, never
 * a gRPC status, so clients can tell what to retry: NOT_THE_LEADER (with the leader's address when
 * known), TABLET_NOT_FOUND, TABLET_NOT_RUNNING, SERVICE_UNAVAILABLE, INVALID_ARGUMENT, STALE_TERM,
 * ABORTED. Writes and scans are served by tablet leaders only.
 */
public final class TabletServerServiceImpl extends TabletServerServiceGrpc.TabletServerServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(TabletServerServiceImpl.class);

    private final basalt.consensus.core.NodeId self;
    /** Where this server listens; null until its port is bound (the service is registered before that). */
    private final java.util.function.Supplier<basalt.common.net.HostPort> boundAddress;
    private final TabletManager tablets;
    private final PeerDirectory peers;
    private final MasterTermGuard masterTerms;

    private final basalt.server.metrics.Counter retriedWrites;

    public TabletServerServiceImpl(basalt.consensus.core.NodeId self,
                                   java.util.function.Supplier<basalt.common.net.HostPort> boundAddress,
                                   TabletManager tablets, PeerDirectory peers, MasterTermGuard masterTerms,
                                   basalt.server.metrics.MetricRegistry metrics) {
        this.retriedWrites = metrics.counter("basalt_tablet_write_retries_total",
                "Client retries of a write this server saw (same request id): answered with the first outcome"
                        + " (replayed) or by waiting for the first attempt still replicating here (joined)", "outcome");
        this.self = self;
        this.boundAddress = boundAddress;
        this.tablets = tablets;
        this.peers = peers;
        this.masterTerms = masterTerms;
    }

    @Override
    public void write(WriteRequestPB request, StreamObserver<WriteResponsePB> response) {
        Optional<ErrorPB> refusal = leaderRefusal(request.getTabletId(), true);
        if (refusal.isPresent()) {
            reply(response, WriteResponsePB.newBuilder().setError(refusal.get()).build());
            return;
        }
        TabletReplica replica = tablets.lookup(request.getTabletId()).orElseThrow();
        // A retry of a request this tablet applied gets the first outcome; one still replicating here waits for it.
        boolean tracked = request.hasRequestId() && ReplayCache.tracked(request.getRequestId());
        ReplayCache replays = replica.tablet().replayCache();
        java.util.concurrent.CompletableFuture<WriteResponsePB> firstAttempt = null;
        PreparedWrite prepared = null;
        java.util.concurrent.CompletableFuture<Object> applied = null;
        try {
            synchronized (replica.writeLock()) {
                if (tracked) {
                    Optional<WriteResponsePB> outcome = replays.appliedOutcome(request.getRequestId());
                    if (outcome.isPresent()) {
                        retriedWrites.increment("replayed");
                        reply(response, outcome.get());
                        return;
                    }
                    firstAttempt = replays.inFlight(request.getRequestId()).orElse(null);
                    if (firstAttempt != null) {
                        retriedWrites.increment("joined");
                    }
                }
                if (firstAttempt == null) {
                    prepared = replica.tablet().prepareWrite(request);
                    if (prepared.payload().isEmpty()) {
                        reply(response, WriteResponsePB.newBuilder().addAllRowErrors(prepared.rowErrors()).build());
                        return;
                    }
                    applied = replica.driver().propose(prepared.payload());
                    if (tracked) {
                        replays.startedInFlight(request.getRequestId(), applied.thenApply(WriteResponsePB.class::cast));
                    }
                }
            }
        } catch (TabletException e) {
            reply(response, WriteResponsePB.newBuilder().setError(Errors.of(e.code(), e.getMessage())).build());
            return;
        }
        if (firstAttempt != null) {
            firstAttempt.whenComplete((outcome, failure) -> reply(response, failure == null ? outcome
                    : WriteResponsePB.newBuilder().setError(Errors.of(Code.SERVICE_UNAVAILABLE,
                            "the first attempt of this request ended without an outcome here (" + failure.getMessage()
                                    + "); retry")).build()));
            return;
        }
        long timestamp = prepared.timestamp();
        applied.whenComplete((result, failure) -> {
            if (failure == null) {
                reply(response, (WriteResponsePB) result);
                return;
            }
            replica.tablet().abortPrepared(timestamp);
            reply(response, WriteResponsePB.newBuilder().setError(proposalError("write", request.getTabletId(), failure))
                    .build());
        });
    }

    /** Why a proposal to a tablet's group did not apply: ABORTED, NOT_THE_LEADER or SERVICE_UNAVAILABLE. */
    private ErrorPB proposalError(String what, String tabletId, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof ProposalRefusedException refused) {
            return refused.getMessage().startsWith("lost to")
                    ? Errors.of(Code.ABORTED, "the " + what + " was not applied: " + refused.getMessage())
                    : refused.leaderHint().isPresent() || refused.getMessage().equals("not the leader")
                    ? Errors.notTheLeader("tablet " + tabletId, refused.leaderHint(), peers)
                    : Errors.of(Code.SERVICE_UNAVAILABLE, refused.getMessage());
        }
        return Errors.of(Code.SERVICE_UNAVAILABLE, "outcome unknown: " + cause.getMessage());
    }

    /**
     * Master to a tablet's leader: replicates the new schema through the tablet's log and answers once it
     * is applied here. Refused from a master of an older term, like every master command.
     */
    @Override
    public void alterSchema(AlterSchemaRequestPB request, StreamObserver<AlterSchemaResponsePB> response) {
        Optional<ErrorPB> refusal = masterTerms.check(request.getMasterTerm())
                .or(() -> leaderRefusal(request.getTabletId(), true));
        if (refusal.isPresent()) {
            reply(response, AlterSchemaResponsePB.newBuilder().setError(refusal.get()).build());
            return;
        }
        TabletReplica replica = tablets.lookup(request.getTabletId()).orElseThrow();
        java.util.concurrent.CompletableFuture<Object> applied;
        try {
            // Under the write lock, so no write is prepared between reading the schema and proposing.
            synchronized (replica.writeLock()) {
                com.google.protobuf.ByteString payload =
                        replica.tablet().prepareSchemaChange(request.getSchema(), request.getTableName());
                if (payload.isEmpty()) {
                    reply(response, AlterSchemaResponsePB.newBuilder()
                            .setSchemaVersion(replica.tablet().schema().version()).build());
                    return;
                }
                applied = replica.driver().propose(payload);
            }
        } catch (TabletException e) {
            reply(response, AlterSchemaResponsePB.newBuilder().setError(Errors.of(e.code(), e.getMessage())).build());
            return;
        }
        applied.whenComplete((result, failure) -> reply(response, failure == null ? (AlterSchemaResponsePB) result
                : AlterSchemaResponsePB.newBuilder().setError(proposalError("schema change", request.getTabletId(),
                        failure)).build()));
    }

    @Override
    public void scan(ScanRequestPB request, StreamObserver<ScanResponsePB> response) {
        Optional<ErrorPB> refusal = leaderRefusal(request.getTabletId(), true);
        if (refusal.isPresent()) {
            reply(response, ScanResponsePB.newBuilder().setError(refusal.get()).build());
            return;
        }
        TabletReplica replica = tablets.lookup(request.getTabletId()).orElseThrow();
        reply(response, guarded(() -> replica.tablet().scan(request),
                error -> ScanResponsePB.newBuilder().setError(error).build()));
    }

    @Override
    public void checksum(ChecksumRequestPB request, StreamObserver<ChecksumResponsePB> response) {
        Optional<TabletReplica> replica = tablets.lookup(request.getTabletId());
        if (replica.isEmpty()) {
            reply(response, ChecksumResponsePB.newBuilder().setError(notFound(request.getTabletId())).build());
            return;
        }
        reply(response, guarded(() -> replica.get().tablet().checksum(request),
                error -> ChecksumResponsePB.newBuilder().setError(error).build()));
    }

    @Override
    public void createTablet(CreateTabletRequestPB request, StreamObserver<CreateTabletResponsePB> response) {
        Optional<ErrorPB> stale = masterTerms.check(request.getMasterTerm());
        if (stale.isPresent()) {
            reply(response, CreateTabletResponsePB.newBuilder().setError(stale.get()).build());
            return;
        }
        reply(response, guarded(() -> {
            for (basalt.proto.PeerPB known : request.getKnownPeersList()) {
                if (!known.getUuid().equals(self.value()) && known.hasAddress()) {
                    peers.put(basalt.consensus.core.NodeId.of(known.getUuid()), new basalt.common.net.HostPort(
                            known.getAddress().getHost(), known.getAddress().getPort()));
                }
            }
            tablets.create(request.getTablet(), request.getPeersList(), request.getFirstTermLeader().isEmpty()
                    ? java.util.Optional.empty()
                    : java.util.Optional.of(basalt.consensus.core.NodeId.of(request.getFirstTermLeader())));
            return CreateTabletResponsePB.getDefaultInstance();
        }, error -> CreateTabletResponsePB.newBuilder().setError(error).build()));
    }

    @Override
    public void deleteTablet(DeleteTabletRequestPB request, StreamObserver<DeleteTabletResponsePB> response) {
        Optional<ErrorPB> stale = masterTerms.check(request.getMasterTerm());
        if (stale.isPresent()) {
            reply(response, DeleteTabletResponsePB.newBuilder().setError(stale.get()).build());
            return;
        }
        reply(response, guarded(() -> tablets.delete(request.getTabletId())
                        ? DeleteTabletResponsePB.getDefaultInstance()
                        : DeleteTabletResponsePB.newBuilder().setError(notFound(request.getTabletId())).build(),
                error -> DeleteTabletResponsePB.newBuilder().setError(error).build()));
    }

    @Override
    public void listTablets(ListTabletsRequestPB request, StreamObserver<ListTabletsResponsePB> response) {
        reply(response, ListTabletsResponsePB.newBuilder().addAllTablets(tabletReports(tablets)).build());
    }

    /**
     * What every hosted replica says about itself: metadata, state and Raft state (with the config's OpId
     * index). ListTablets answers with it, and the heartbeater sends it to every master, so both always agree.
     */
    public static List<TabletReportPB> tabletReports(TabletManager tablets) {
        List<TabletReportPB> reports = new ArrayList<>();
        for (TabletReplica replica : tablets.all()) {
            reports.add(TabletReportPB.newBuilder().setTablet(replica.tablet().metadata())
                    .setState(replica.state()).setConsensus(consensusState(replica.driver())).build());
        }
        return reports;
    }

    @Override
    public void getStatus(ServerStatusRequestPB request, StreamObserver<ServerStatusResponsePB> response) {
        basalt.common.net.HostPort address = boundAddress.get();
        if (address == null) {
            response.onError(io.grpc.Status.UNAVAILABLE.withDescription("starting").asRuntimeException());
            return;
        }
        reply(response, ServerStatusResponsePB.newBuilder().setSelf(PeerPB.newBuilder().setUuid(self.value())
                        .setAddress(Errors.toProto(address)))
                .setKind("tserver").setPid(ProcessHandle.current().pid()).build());
    }

    /** Why this server cannot serve a leader-only request for the tablet now, if it cannot. */
    private Optional<ErrorPB> leaderRefusal(String tabletId, boolean needsWrites) {
        Optional<TabletReplica> replica = tablets.lookup(tabletId);
        if (replica.isEmpty()) {
            return Optional.of(notFound(tabletId));
        }
        if (replica.get().driver().isClosed()) {
            return Optional.of(Errors.of(Code.TABLET_NOT_RUNNING, "tablet " + tabletId + " stopped after a failure"));
        }
        GroupDriver.Status status = replica.get().driver().status();
        if (!status.role().equals("leader")) {
            return Optional.of(Errors.notTheLeader("tablet " + tabletId, status.leaderHint(), peers));
        }
        if (needsWrites && !status.servesWrites()) {
            return Optional.of(Errors.of(Code.SERVICE_UNAVAILABLE, "tablet " + tabletId
                    + ": the new leader has not yet applied the entry that starts its term"));
        }
        return Optional.empty();
    }

    static ConsensusStatePB consensusState(GroupDriver driver) {
        GroupDriver.Status status = driver.status();
        ConsensusStatePB.Builder state = ConsensusStatePB.newBuilder().setGroupId(status.groupId())
                .setSelf(status.self().value()).setRole(status.role()).setTerm(status.term())
                .setLeaderReady(status.leaderReady()).setCommitIndex(status.commitIndex())
                .setLastOpId(OpIdPB.newBuilder().setTerm(status.lastOpId().term()).setIndex(status.lastOpId().index()))
                .setAppliedIndex(status.appliedIndex())
                .setMembership(MembershipPB.newBuilder()
                        .addAllVoters(status.membership().voters().stream().map(Object::toString).toList())
                        .addAllLearners(status.membership().learners().stream().map(Object::toString).toList()))
                .setWalFirstIndex(status.walFirstIndex()).setWalSegments(status.walSegments())
                .setLogCacheBytes(status.logCacheBytesUsed());
        status.leaderHint().ifPresent(leader -> state.setLeaderUuid(leader.value()));
        return state.build();
    }

    private static ErrorPB notFound(String tabletId) {
        return Errors.of(Code.TABLET_NOT_FOUND, "this server hosts no replica of tablet " + tabletId);
    }

    private interface Call<T> {
        T get() throws java.io.IOException;
    }

    /** Runs a call and turns its failure into the specific error the response carries. */
    private static <T> T guarded(Call<T> call, java.util.function.Function<ErrorPB, T> onError) {
        try {
            return call.get();
        } catch (TabletException e) {
            return onError.apply(Errors.of(e.code(), e.getMessage()));
        } catch (IllegalArgumentException e) {
            return onError.apply(Errors.of(Code.INVALID_ARGUMENT, e.getMessage()));
        } catch (java.io.IOException | RuntimeException e) {
            LOG.error("request failed", e);
            return onError.apply(Errors.of(Code.INTERNAL, e.toString()));
        }
    }

    private static <T> void reply(StreamObserver<T> response, T message) {
        response.onNext(message);
        response.onCompleted();
    }
}
