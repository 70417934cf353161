package basalt.consensus.meta;

import basalt.common.check.Check;
import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import java.util.Optional;

/**
 * What a replica must remember across restarts besides its log (Raft thesis section 3.8): its current
 * term and the vote it cast in that term, plus the last committed membership and the index of the
 * CONFIG entry that carried it (so a restart knows its group before replaying the log).
 *
 * @param currentTerm the latest term this replica has seen
 * @param votedFor whom it voted for in {@code currentTerm}, if anyone
 * @param committedMembership the membership of the last committed CONFIG entry (or the initial one)
 * @param committedConfigIndex the index of that CONFIG entry; 0 for the initial membership
 */
public record ConsensusMetadata(long currentTerm, Optional<NodeId> votedFor, Membership committedMembership,
        long committedConfigIndex) {
    public ConsensusMetadata {
        Check.arg(currentTerm >= 0, "currentTerm %s must not be negative", currentTerm);
        Check.arg(votedFor != null && committedMembership != null, "metadata fields must not be null");
        Check.arg(committedConfigIndex >= 0, "committedConfigIndex %s must not be negative", committedConfigIndex);
    }

    /** A brand new replica: term 0, no vote, the membership it was created with. */
    public static ConsensusMetadata initial(Membership membership) {
        return new ConsensusMetadata(0, Optional.empty(), membership, 0);
    }

    /**
     * A brand-new replica of a group whose creator chose {@code firstLeader} to lead term 1: every initial
     * voter starts in term 1 having voted for it, so it may lead at once (see {@code Input.LeadFirstTerm})
     * and nobody else can win term 1. Costs nothing extra: this is the file written at creation anyway.
     */
    public static ConsensusMetadata preElected(Membership membership, NodeId firstLeader) {
        Check.arg(membership.isVoter(firstLeader), "first leader %s is not a voter of %s", firstLeader, membership);
        return new ConsensusMetadata(1, Optional.of(firstLeader), membership, 0);
    }

    public ConsensusMetadata withTermAndVote(long term, Optional<NodeId> vote) {
        return new ConsensusMetadata(term, vote, committedMembership, committedConfigIndex);
    }

    public ConsensusMetadata withCommittedMembership(Membership membership, long configIndex) {
        return new ConsensusMetadata(currentTerm, votedFor, membership, configIndex);
    }
}
