package basalt.consensus.sim;

/** A replica's commit index never moves back while it runs (paired with the core's own check). */
final class CommitIndexMonotonic {
    String check(SimNode node) {
        long now = node.core.commitIndex();
        if (now < node.lastCommitIndexSeen) {
            return node.id + " commit index went back from " + node.lastCommitIndexSeen + " to " + now;
        }
        return null;
    }
}
