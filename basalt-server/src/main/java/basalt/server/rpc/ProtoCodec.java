package basalt.server.rpc;

import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.Membership;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.proto.AppendRequestPB;
import basalt.proto.AppendResponsePB;
import basalt.proto.ConsensusMessagePB;
import basalt.proto.EntryPB;
import basalt.proto.MembershipPB;
import basalt.proto.OpIdPB;
import basalt.proto.PreVoteRequestPB;
import basalt.proto.PreVoteResponsePB;
import basalt.proto.TimeoutNowPB;
import basalt.proto.VoteRequestPB;
import basalt.proto.VoteResponsePB;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Consensus records to wire messages and back. Payloads are {@link com.google.protobuf.ByteString}s on
 * both sides, so an entry's bytes are shared, never copied, by the conversion. Decoding checks what
 * the proto schema cannot (a body is present, entry types are known, ids are not blank) and throws
 * {@link IllegalArgumentException} naming the fault, so one malformed message never reaches a core.
 */
public final class ProtoCodec {
    private ProtoCodec() {}

    // ---------------------------------------------------------------- messages

    public static ConsensusMessagePB encode(String groupId, Message message) {
        ConsensusMessagePB.Builder pb = ConsensusMessagePB.newBuilder()
                .setGroupId(groupId)
                .setFrom(message.from().value())
                .setTo(message.to().value())
                .setTerm(message.term());
        switch (message) {
            case Message.AppendRequest append -> {
                AppendRequestPB.Builder body = AppendRequestPB.newBuilder()
                        .setPrev(encode(append.prev()))
                        .setLeaderCommit(append.leaderCommit());
                for (Entry entry : append.entries()) {
                    body.addEntries(encode(entry));
                }
                pb.setAppendRequest(body);
            }
            case Message.AppendResponse response -> pb.setAppendResponse(AppendResponsePB.newBuilder()
                    .setSuccess(response.success())
                    .setMatchIndex(response.matchIndex())
                    .setRejectedPrevIndex(response.rejectedPrevIndex())
                    .setLastIndex(response.lastIndex())
                    .setConflictTerm(response.conflictTerm())
                    .setConflictFirstIndex(response.conflictFirstIndex()));
            case Message.VoteRequest vote -> pb.setVoteRequest(VoteRequestPB.newBuilder()
                    .setLastOpId(encode(vote.lastOpId()))
                    .setLeadershipTransfer(vote.leadershipTransfer()));
            case Message.VoteResponse vote -> pb.setVoteResponse(VoteResponsePB.newBuilder().setGranted(vote.granted()));
            case Message.PreVoteRequest preVote -> pb.setPreVoteRequest(PreVoteRequestPB.newBuilder()
                    .setProposedTerm(preVote.proposedTerm())
                    .setLastOpId(encode(preVote.lastOpId())));
            case Message.PreVoteResponse preVote -> pb.setPreVoteResponse(PreVoteResponsePB.newBuilder()
                    .setProposedTerm(preVote.proposedTerm())
                    .setGranted(preVote.granted()));
            case Message.TimeoutNow timeoutNow -> pb.setTimeoutNow(TimeoutNowPB.getDefaultInstance());
        }
        return pb.build();
    }

    /** The message inside {@code pb}; its group is {@code pb.getGroupId()}. */
    public static Message decode(ConsensusMessagePB pb) {
        NodeId from = nodeId(pb.getFrom(), "from");
        NodeId to = nodeId(pb.getTo(), "to");
        long term = pb.getTerm();
        return switch (pb.getBodyCase()) {
            case APPEND_REQUEST -> {
                AppendRequestPB body = pb.getAppendRequest();
                List<Entry> entries = new ArrayList<>(body.getEntriesCount());
                for (EntryPB entry : body.getEntriesList()) {
                    entries.add(decode(entry));
                }
                yield new Message.AppendRequest(from, to, term, decode(body.getPrev()), entries, body.getLeaderCommit());
            }
            case APPEND_RESPONSE -> {
                AppendResponsePB body = pb.getAppendResponse();
                yield new Message.AppendResponse(from, to, term, body.getSuccess(), body.getMatchIndex(),
                        body.getRejectedPrevIndex(), body.getLastIndex(), body.getConflictTerm(),
                        body.getConflictFirstIndex());
            }
            case VOTE_REQUEST -> new Message.VoteRequest(from, to, term, decode(pb.getVoteRequest().getLastOpId()),
                    pb.getVoteRequest().getLeadershipTransfer());
            case VOTE_RESPONSE -> new Message.VoteResponse(from, to, term, pb.getVoteResponse().getGranted());
            case PRE_VOTE_REQUEST -> new Message.PreVoteRequest(from, to, term,
                    pb.getPreVoteRequest().getProposedTerm(), decode(pb.getPreVoteRequest().getLastOpId()));
            case PRE_VOTE_RESPONSE -> new Message.PreVoteResponse(from, to, term,
                    pb.getPreVoteResponse().getProposedTerm(), pb.getPreVoteResponse().getGranted());
            case TIMEOUT_NOW -> new Message.TimeoutNow(from, to, term);
            case BODY_NOT_SET -> throw new IllegalArgumentException("consensus message of group '" + pb.getGroupId()
                    + "' from " + from + " to " + to + " has no body");
        };
    }

    // ---------------------------------------------------------------- entries and positions

    public static EntryPB encode(Entry entry) {
        return EntryPB.newBuilder()
                .setTerm(entry.term())
                .setIndex(entry.index())
                .setType(entry.type().code())
                .setPayload(entry.payload())
                .build();
    }

    public static Entry decode(EntryPB pb) {
        EntryType type;
        try {
            type = EntryType.fromCode(pb.getType());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("entry " + pb.getTerm() + "." + pb.getIndex()
                    + " has unknown entry type code " + pb.getType(), e);
        }
        return new Entry(decode(pb.getTerm(), pb.getIndex()), type, pb.getPayload());
    }

    public static OpIdPB encode(OpId opId) {
        return OpIdPB.newBuilder().setTerm(opId.term()).setIndex(opId.index()).build();
    }

    public static OpId decode(OpIdPB pb) {
        return decode(pb.getTerm(), pb.getIndex());
    }

    private static OpId decode(long term, long index) {
        if (term < 0 || index < 0) {
            throw new IllegalArgumentException("OpId " + term + "." + index + " has a negative term or index");
        }
        return new OpId(term, index);
    }

    // ---------------------------------------------------------------- membership

    public static MembershipPB encode(Membership membership) {
        MembershipPB.Builder pb = MembershipPB.newBuilder();
        membership.voters().forEach(voter -> pb.addVoters(voter.value()));
        membership.learners().forEach(learner -> pb.addLearners(learner.value()));
        return pb.build();
    }

    public static Membership decode(MembershipPB pb) {
        TreeSet<NodeId> voters = new TreeSet<>();
        for (String voter : pb.getVotersList()) {
            voters.add(nodeId(voter, "voter"));
        }
        TreeSet<NodeId> learners = new TreeSet<>();
        for (String learner : pb.getLearnersList()) {
            learners.add(nodeId(learner, "learner"));
        }
        for (NodeId learner : learners) {
            if (voters.contains(learner)) {
                throw new IllegalArgumentException("membership lists " + learner + " as both voter and learner");
            }
        }
        return new Membership(voters, learners);
    }

    /** A {@link ConfigAt} travels as its index and its membership (as in the first tablet copy chunk). */
    public static ConfigAt decodeConfig(long configIndex, MembershipPB membership) {
        if (configIndex < 0) {
            throw new IllegalArgumentException("config index " + configIndex + " is negative");
        }
        return new ConfigAt(configIndex, decode(membership));
    }

    private static NodeId nodeId(String value, String what) {
        if (value.isBlank()) {
            throw new IllegalArgumentException("consensus message has a blank '" + what + "' node id");
        }
        return new NodeId(value);
    }
}
