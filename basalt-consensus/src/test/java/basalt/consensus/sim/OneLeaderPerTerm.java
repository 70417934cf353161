package basalt.consensus.sim;

import basalt.consensus.core.NodeId;
import java.util.Map;
import java.util.TreeMap;

/** Election safety (section 3.6.3 / Figure 3.2): at most one leader is elected in a term, ever. */
final class OneLeaderPerTerm {
    private final Map<Long, NodeId> leaderByTerm = new TreeMap<>();

    /** Returns a violation, or null. */
    String check(SimNode node) {
        if (!node.core.isLeader()) {
            return null;
        }
        NodeId earlier = leaderByTerm.putIfAbsent(node.core.term(), node.id);
        if (earlier != null && !earlier.equals(node.id)) {
            return "two leaders in term " + node.core.term() + ": " + earlier + " and " + node.id;
        }
        return null;
    }
}
