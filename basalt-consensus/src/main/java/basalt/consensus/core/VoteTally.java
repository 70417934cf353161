package basalt.consensus.core;

import basalt.consensus.quorum.MajorityConfig;
import java.util.Set;
import java.util.TreeSet;

/** Counts the answers of one election (or pre-election) among the voters of the membership in force. */
public final class VoteTally {
    public enum Outcome { PENDING, WON, LOST }

    private final Set<NodeId> voters;
    private final Set<NodeId> granted = new TreeSet<>();
    private final Set<NodeId> refused = new TreeSet<>();

    VoteTally(Set<NodeId> voters) {
        this.voters = Set.copyOf(voters);
    }

    /** Records one voter's answer; the first answer of each voter counts, repeats are ignored. */
    void record(NodeId voter, boolean grant) {
        if (!voters.contains(voter) || granted.contains(voter) || refused.contains(voter)) {
            return;
        }
        (grant ? granted : refused).add(voter);
    }

    Outcome outcome() {
        if (MajorityConfig.isMajority(granted.size(), voters.size())) {
            return Outcome.WON;
        }
        if (refused.size() > voters.size() - (voters.size() / 2 + 1)) {
            return Outcome.LOST;
        }
        return Outcome.PENDING;
    }
}
