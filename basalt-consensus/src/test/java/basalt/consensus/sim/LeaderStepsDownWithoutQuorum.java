package basalt.consensus.sim;

import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import basalt.consensus.quorum.MajorityConfig;

/**
 * Check-quorum (section 6.2): a leader that has not heard from a majority of voters for a few election
 * timeouts must have stepped down. The bound allows for the leader checking once per election timeout.
 */
final class LeaderStepsDownWithoutQuorum {
    private final long boundUnits;
    private final long graceUnits;

    /**
     * @param boundUnits a voter counts as heard when it answered within this window
     * @param graceUnits how long a leader may go on once no majority counts as heard (a membership change
     *     can shrink the heard majority at once; the leader notices at its next quorum check or the one after)
     */
    LeaderStepsDownWithoutQuorum(long boundUnits, long graceUnits) {
        this.boundUnits = boundUnits;
        this.graceUnits = graceUnits;
    }

    String check(SimNode leader, long now) {
        if (!leader.core.isLeader() || now - leader.leaderSince < boundUnits) {
            leader.quorumLostSince = -1;
            return null;
        }
        Membership membership = leader.core.membership();
        int heard = 0;
        for (NodeId voter : membership.voters()) {
            long last = voter.equals(leader.id) ? now : leader.lastHeardFrom.getOrDefault(voter, leader.leaderSince);
            if (now - Math.max(last, leader.leaderSince) < boundUnits) {
                heard++;
            }
        }
        if (MajorityConfig.isMajority(heard, membership.voters().size())) {
            leader.quorumLostSince = -1;
            return null;
        }
        if (leader.quorumLostSince < 0) {
            leader.quorumLostSince = now;
        }
        if (now - leader.quorumLostSince > graceUnits) {
            return leader.id + " still leads term " + leader.core.term() + " though only " + heard + " of "
                    + membership.voters().size() + " voters were heard in the last " + boundUnits + " time units, since time " + leader.quorumLostSince;
        }
        return null;
    }
}
