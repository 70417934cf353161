package basalt.consensus.core;

import java.util.List;

/**
 * Messages between replicas of one group. Every message carries its sender's term; the term rules of
 * section 5.1 are applied to it before any role looks at it (pre-votes excepted, see {@link Election}).
 */
public sealed interface Message {
    NodeId from();

    NodeId to();

    long term();

    /**
     * Leader to follower: entries after {@code prev}, plus the leader's commit index. With no entries it
     * is a heartbeat that still checks {@code prev} (section 5.3).
     */
    record AppendRequest(NodeId from, NodeId to, long term, OpId prev, List<Entry> entries, long leaderCommit)
            implements Message {
        public AppendRequest {
            entries = List.copyOf(entries);
        }

        public long lastIndex() {
            return prev.index() + entries.size();
        }
    }

    /**
     * Follower to leader. On success {@code matchIndex} is the last index known to equal the leader's log.
     * On rejection it carries a back-off hint: {@code rejectedPrevIndex} (which request it answers), the
     * follower's {@code lastIndex}, and, when the follower has an entry at that index with another term,
     * {@code conflictTerm} and the first index the follower holds of that term.
     */
    record AppendResponse(NodeId from, NodeId to, long term, boolean success, long matchIndex,
                          long rejectedPrevIndex, long lastIndex, long conflictTerm, long conflictFirstIndex)
            implements Message {
        public static AppendResponse accepted(NodeId from, NodeId to, long term, long matchIndex) {
            return new AppendResponse(from, to, term, true, matchIndex, 0, matchIndex, 0, 0);
        }
    }

    /** A candidate asks for a vote in {@code term}. {@code leadershipTransfer} overrides leader stickiness. */
    record VoteRequest(NodeId from, NodeId to, long term, OpId lastOpId, boolean leadershipTransfer)
            implements Message {}

    record VoteResponse(NodeId from, NodeId to, long term, boolean granted) implements Message {}

    /**
     * Would you vote for me in {@code proposedTerm}? Sent without raising the sender's term, so a replica
     * cut off from the group cannot force a new election when it returns (section 9.6). {@code term} is
     * the sender's current term and never raises the receiver's.
     */
    record PreVoteRequest(NodeId from, NodeId to, long term, long proposedTerm, OpId lastOpId) implements Message {}

    /** {@code term} is the voter's current term: a higher one tells the pre-candidate it is behind. */
    record PreVoteResponse(NodeId from, NodeId to, long term, long proposedTerm, boolean granted)
            implements Message {}

    /** A leader handing over: the receiver, now caught up, starts an election at once (section 3.10). */
    record TimeoutNow(NodeId from, NodeId to, long term) implements Message {}
}
