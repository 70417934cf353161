package basalt.consensus.core;

/** One single-server change to the group (section 4.1), proposed to the leader. */
public sealed interface MembershipChange {
    NodeId node();

    Membership applyTo(Membership current);

    /** A new non-voting member that receives the log and catches up. */
    record AddLearner(NodeId node) implements MembershipChange {
        @Override
        public Membership applyTo(Membership current) {
            return current.withLearner(node);
        }
    }

    /** A caught-up learner becomes a voter. */
    record PromoteLearner(NodeId node) implements MembershipChange {
        @Override
        public Membership applyTo(Membership current) {
            if (!current.isLearner(node)) {
                throw new IllegalArgumentException(node + " is not a learner");
            }
            return current.withVoter(node);
        }
    }

    /** A voter or learner leaves the group. */
    record RemoveMember(NodeId node) implements MembershipChange {
        @Override
        public Membership applyTo(Membership current) {
            return current.without(node);
        }
    }
}
