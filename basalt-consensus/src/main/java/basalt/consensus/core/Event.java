package basalt.consensus.core;

/**
 * Something worth telling an operator or a test script: the core does not log, it reports events and the
 * driver logs them. {@code text} is a full sentence about {@code node}.
 */
public record Event(NodeId node, Kind kind, long term, String text) {
    public enum Kind {
        ROLE_CHANGED,
        VOTE_GRANTED,
        VOTE_REFUSED,
        APPEND_REJECTED,
        PROPOSAL_REFUSED,
        MEMBERSHIP_CHANGED,
        TRANSFER,
        TABLET_COPY_NEEDED,
        STEPPED_DOWN
    }

    @Override
    public String toString() {
        return node + " " + text;
    }
}
