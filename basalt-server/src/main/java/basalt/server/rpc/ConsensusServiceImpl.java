package basalt.server.rpc;

import basalt.common.net.HostPort;
import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.Membership;
import basalt.consensus.core.MembershipChange;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.consensus.driver.GroupDriver;
import basalt.consensus.driver.ProposalRefusedException;
import basalt.consensus.driver.TabletCopy;
import basalt.proto.ChangeMembershipRequestPB;
import basalt.proto.ChangeMembershipResponsePB;
import basalt.proto.Code;
import basalt.proto.ConsensusBatchPB;
import basalt.proto.ConsensusMessagePB;
import basalt.proto.ConsensusServiceGrpc;
import basalt.proto.ConsensusStatePB;
import basalt.proto.ConsensusStateRequestPB;
import basalt.proto.ConsensusStateResponsePB;
import basalt.proto.DeliverAckPB;
import basalt.proto.ErrorPB;
import basalt.proto.HostPortPB;
import basalt.proto.InstallTabletCopyResponsePB;
import basalt.proto.TabletCopyChunkPB;
import basalt.proto.TransferLeadershipRequestPB;
import basalt.proto.TransferLeadershipResponsePB;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of consensus traffic and the consensus admin calls, backed by the
 * {@link GroupRegistry}. Every handler only decodes and hands over ({@link GroupDriver#receive} enqueues
 * on the group's own thread), so it runs directly on gRPC's transport thread: no hop, no blocking.
 * Admin calls that wait for an outcome (ChangeMembership) answer from the future's completion.
 *
 * <p>Dropped on receipt, and counted: messages from a peer whose inbound link is cut, messages for a
 * group not hosted here (deleted, or not created yet and past what {@link GroupRegistry} keeps for
 * groups about to register), and malformed messages.
 */
public final class ConsensusServiceImpl extends ConsensusServiceGrpc.ConsensusServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(ConsensusServiceImpl.class);

    private final NodeId self;
    private final GroupRegistry groups;
    private final PeerDirectory peers;
    private final NetworkFaults faults;
    private final LongAdder received = new LongAdder();
    private final LongAdder droppedUnknownGroup = new LongAdder();
    private final LongAdder keptForNewGroup = new LongAdder();
    private final LongAdder droppedByFault = new LongAdder();
    private final LongAdder droppedMalformed = new LongAdder();

    public ConsensusServiceImpl(NodeId self, GroupRegistry groups, PeerDirectory peers, NetworkFaults faults) {
        this.self = self;
        this.groups = groups;
        this.peers = peers;
        this.faults = faults;
    }

    /** Counters since start; {@code keptForNewGroup}: held until their group registered ({@link GroupRegistry}). */
    public record Stats(long received, long keptForNewGroup, long droppedUnknownGroup, long droppedByFault,
                        long droppedMalformed) {}

    public Stats stats() {
        return new Stats(received.sum(), keptForNewGroup.sum(), droppedUnknownGroup.sum(), droppedByFault.sum(),
                droppedMalformed.sum());
    }

    // ---------------------------------------------------------------- one-way consensus traffic

    @Override
    public StreamObserver<ConsensusBatchPB> deliver(StreamObserver<DeliverAckPB> response) {
        return new StreamObserver<>() {
            @Override
            public void onNext(ConsensusBatchPB batch) {
                for (ConsensusMessagePB message : batch.getMessagesList()) {
                    dispatch(message);
                }
            }

            @Override
            public void onError(Throwable failure) {
                // The sender went away; it reconnects by itself.
            }

            @Override
            public void onCompleted() {
                response.onNext(DeliverAckPB.getDefaultInstance());
                response.onCompleted();
            }
        };
    }

    private void dispatch(ConsensusMessagePB pb) {
        Message message;
        try {
            message = ProtoCodec.decode(pb);
        } catch (IllegalArgumentException e) {
            droppedMalformed.increment();
            LOG.warn("{}: dropping a malformed consensus message: {}", self, e.getMessage());
            return;
        }
        if (faults.isInboundCut(message.from())) {
            droppedByFault.increment();
            return;
        }
        switch (groups.deliver(pb.getGroupId(), message, pb.getSerializedSize(), System.nanoTime())) {
            case DELIVERED -> received.increment();
            case KEPT_FOR_LATER -> keptForNewGroup.increment();
            case DROPPED -> droppedUnknownGroup.increment();
        }
    }

    // ---------------------------------------------------------------- tablet copy

    @Override
    public StreamObserver<TabletCopyChunkPB> installTabletCopy(StreamObserver<InstallTabletCopyResponsePB> response) {
        return new TabletCopyReceiver(response);
    }

    /** Reassembles one tablet copy; one instance per call, so gRPC's serial callbacks need no locks. */
    private final class TabletCopyReceiver implements StreamObserver<TabletCopyChunkPB> {
        private final StreamObserver<InstallTabletCopyResponsePB> response;
        private String groupId;
        private NodeId from;
        private OpId lastIncluded;
        private ConfigAt config;
        private byte[] data;
        private long received;
        private boolean answered;

        TabletCopyReceiver(StreamObserver<InstallTabletCopyResponsePB> response) {
            this.response = response;
        }

        @Override
        public void onNext(TabletCopyChunkPB chunk) {
            if (answered) {
                return;
            }
            try {
                if (data == null) {
                    start(chunk);
                    if (answered) {
                        return;
                    }
                } else if (!chunk.getGroupId().equals(groupId)) {
                    throw new IllegalArgumentException("chunk of group " + chunk.getGroupId() + " in a copy of " + groupId);
                }
                int size = chunk.getData().size();
                if (chunk.getOffset() != received || received + size > data.length) {
                    throw new IllegalArgumentException("chunk at offset " + chunk.getOffset() + " of " + size
                            + " bytes does not follow " + received + " of " + data.length + " bytes received");
                }
                chunk.getData().copyTo(data, (int) received);
                received += size;
            } catch (IllegalArgumentException e) {
                answer(Code.INVALID_ARGUMENT, "tablet copy refused: " + e.getMessage());
            }
        }

        private void start(TabletCopyChunkPB first) {
            groupId = first.getGroupId();
            from = new NodeId(first.getFrom().isBlank() ? "?" : first.getFrom());
            if (faults.isInboundCut(from)) {
                droppedByFault.increment();
                answer(Code.SERVICE_UNAVAILABLE, "inbound link from " + from + " is cut");
                return;
            }
            if (!first.hasLastIncluded() || !first.hasConfig()) {
                throw new IllegalArgumentException("the first chunk carries no OpId or config");
            }
            long total = first.getTotalBytes();
            if (total < 0 || total > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("total size " + total + " is out of range");
            }
            lastIncluded = ProtoCodec.decode(first.getLastIncluded());
            config = ProtoCodec.decodeConfig(first.getConfigIndex(), first.getConfig());
            data = new byte[(int) total];
        }

        @Override
        public void onError(Throwable failure) {
            data = null; // the sender gave up or its deadline passed; the leader asks again later
        }

        @Override
        public void onCompleted() {
            if (answered) {
                return;
            }
            if (data == null) {
                answer(Code.INVALID_ARGUMENT, "tablet copy had no chunks");
            } else if (received != data.length) {
                answer(Code.INVALID_ARGUMENT, "tablet copy ended after " + received + " of " + data.length + " bytes");
            } else {
                GroupDriver driver = groups.lookup(groupId).orElse(null);
                if (driver == null) {
                    answer(Code.TABLET_NOT_FOUND, "group " + groupId + " is not hosted by " + self);
                    return;
                }
                // The array is ours alone from here on: wrap it without a copy.
                driver.receiveTabletCopy(new TabletCopy(lastIncluded, config, UnsafeByteOperations.unsafeWrap(data)));
                data = null;
                answered = true;
                response.onNext(InstallTabletCopyResponsePB.getDefaultInstance());
                response.onCompleted();
            }
        }

        private void answer(Code code, String why) {
            answered = true;
            data = null;
            LOG.warn("{}: {}", self, why);
            response.onNext(InstallTabletCopyResponsePB.newBuilder().setError(error(code, why)).build());
            response.onCompleted();
        }
    }

    // ---------------------------------------------------------------- admin calls

    @Override
    public void getConsensusState(ConsensusStateRequestPB request, StreamObserver<ConsensusStateResponsePB> response) {
        ConsensusStateResponsePB.Builder answer = ConsensusStateResponsePB.newBuilder();
        List<GroupDriver> drivers;
        if (request.getGroupId().isEmpty()) {
            drivers = groups.all();
        } else {
            Optional<GroupDriver> driver = groups.lookup(request.getGroupId());
            if (driver.isEmpty()) {
                answer.setError(notFound(request.getGroupId()));
            }
            drivers = driver.stream().toList();
        }
        for (GroupDriver driver : drivers) {
            answer.addGroups(toProto(driver.status()));
        }
        response.onNext(answer.build());
        response.onCompleted();
    }

    /**
     * Asks the leader to hand over. With no target, it picks the first other voter in uuid order: the
     * driver's status has no per-peer match index yet, and the core only sends TimeoutNow once the
     * target is caught up, so the choice affects how soon, not whether, the transfer happens.
     */
    @Override
    public void transferLeadership(TransferLeadershipRequestPB request, StreamObserver<TransferLeadershipResponsePB> response) {
        TransferLeadershipResponsePB.Builder answer = TransferLeadershipResponsePB.newBuilder();
        GroupDriver driver = groups.lookup(request.getGroupId()).orElse(null);
        if (driver == null) {
            answer.setError(notFound(request.getGroupId()));
        } else {
            GroupDriver.Status status = driver.status();
            Membership membership = status.membership();
            Optional<NodeId> target = request.getNewLeaderUuid().isEmpty()
                    ? membership.voters().stream().filter(voter -> !voter.equals(status.self())).findFirst()
                    : Optional.of(new NodeId(request.getNewLeaderUuid()));
            if (!"leader".equals(status.role())) {
                answer.setError(notTheLeader(status.leaderHint(), "not the leader of " + status.groupId()));
            } else if (target.isEmpty() || !membership.isVoter(target.get()) || target.get().equals(status.self())) {
                answer.setError(error(Code.INVALID_ARGUMENT, "no other voter " + request.getNewLeaderUuid()
                        + " in " + membership));
            } else {
                driver.transferLeadership(target.get());
            }
        }
        response.onNext(answer.build());
        response.onCompleted();
    }

    @Override
    public void changeMembership(ChangeMembershipRequestPB request, StreamObserver<ChangeMembershipResponsePB> response) {
        GroupDriver driver = groups.lookup(request.getGroupId()).orElse(null);
        if (driver == null) {
            respond(response, ChangeMembershipResponsePB.newBuilder().setError(notFound(request.getGroupId())).build());
            return;
        }
        if (request.getPeer().getUuid().isBlank()) {
            respond(response, refusal(Code.INVALID_ARGUMENT, "the change names no peer uuid"));
            return;
        }
        NodeId peer = new NodeId(request.getPeer().getUuid());
        MembershipChange change;
        switch (request.getKind()) {
            case ADD_LEARNER -> {
                if (!request.getPeer().hasAddress()) {
                    respond(response, refusal(Code.INVALID_ARGUMENT, "ADD_LEARNER of " + peer + " without an address"));
                    return;
                }
                // Before the change: the leader starts replicating to the learner as soon as it is appended.
                HostPortPB address = request.getPeer().getAddress();
                peers.put(peer, new HostPort(address.getHost(), address.getPort()));
                change = new MembershipChange.AddLearner(peer);
            }
            case PROMOTE_LEARNER -> change = new MembershipChange.PromoteLearner(peer);
            case REMOVE_MEMBER -> change = new MembershipChange.RemoveMember(peer);
            default -> {
                respond(response, refusal(Code.INVALID_ARGUMENT, "unknown change kind " + request.getKind()));
                return;
            }
        }
        GroupDriver.Status status = driver.status();
        if (!"leader".equals(status.role())) {
            respond(response, ChangeMembershipResponsePB.newBuilder()
                    .setError(notTheLeader(status.leaderHint(), "not the leader of " + status.groupId())).build());
            return;
        }
        try {
            change.applyTo(status.membership()); // refuse what cannot apply before it reaches the core
        } catch (IllegalArgumentException e) {
            respond(response, refusal(Code.INVALID_ARGUMENT, e.getMessage()));
            return;
        }
        driver.changeMembership(change).whenComplete((opId, failure) -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause == null) {
                respond(response, ChangeMembershipResponsePB.newBuilder().setOpId(ProtoCodec.encode(opId)).build());
            } else if (cause instanceof ProposalRefusedException refused) {
                respond(response, ChangeMembershipResponsePB.newBuilder()
                        .setError(notTheLeader(refused.leaderHint(), refused.getMessage())).build());
            } else {
                respond(response, refusal(Code.INTERNAL, cause.toString()));
            }
        });
    }

    // ---------------------------------------------------------------- helpers

    private static <T> void respond(StreamObserver<T> response, T answer) {
        try {
            response.onNext(answer);
            response.onCompleted();
        } catch (RuntimeException e) {
            LOG.debug("the caller went away before the answer: {}", e.toString());
        }
    }

    private static ChangeMembershipResponsePB refusal(Code code, String why) {
        return ChangeMembershipResponsePB.newBuilder().setError(error(code, why)).build();
    }

    private ErrorPB notTheLeader(Optional<NodeId> hint, String why) {
        ErrorPB.Builder error = ErrorPB.newBuilder().setCode(Code.NOT_THE_LEADER).setMessage(why);
        hint.ifPresent(leader -> {
            error.setLeaderUuid(leader.value());
            peers.lookup(leader).ifPresent(address -> error.setLeaderAddress(
                    HostPortPB.newBuilder().setHost(address.host()).setPort(address.port())));
        });
        return error.build();
    }

    private ErrorPB notFound(String groupId) {
        return error(Code.TABLET_NOT_FOUND, "group " + groupId + " is not hosted by " + self);
    }

    private static ErrorPB error(Code code, String why) {
        return ErrorPB.newBuilder().setCode(code).setMessage(why).build();
    }

    static ConsensusStatePB toProto(GroupDriver.Status status) {
        return ConsensusStatePB.newBuilder()
                .setGroupId(status.groupId())
                .setSelf(status.self().value())
                .setRole(status.role())
                .setTerm(status.term())
                .setLeaderUuid(status.leaderHint().map(NodeId::value).orElse(""))
                .setLeaderReady(status.leaderReady())
                .setCommitIndex(status.commitIndex())
                .setLastOpId(ProtoCodec.encode(status.lastOpId()))
                .setAppliedIndex(status.appliedIndex())
                .setMembership(ProtoCodec.encode(status.membership()))
                .setWalFirstIndex(status.walFirstIndex())
                .setWalSegments(status.walSegments())
                .setLogCacheBytes(status.logCacheBytesUsed())
                .build();
    }
}
