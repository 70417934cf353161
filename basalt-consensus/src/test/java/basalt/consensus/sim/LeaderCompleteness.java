package basalt.consensus.sim;

/**
 * Leader completeness (section 3.6.3): a newly elected leader's log holds every entry committed in
 * earlier terms. Checked through the chain hash at the highest committed index, which covers the prefix.
 */
final class LeaderCompleteness {
    String onElected(SimNode leader, CommittedNeverChanges committed) {
        long highest = committed.maxCommittedIndex;
        if (highest <= leader.log.snapshotOpId().index()) {
            return null; // everything committed is inside its tablet copy or state machine snapshot
        }
        if (leader.log.lastIndex() < highest) {
            return leader.id + " was elected in term " + leader.core.term() + " with log ending at "
                    + leader.log.lastOpId() + " but index " + highest + " was committed";
        }
        long expected = committed.chainHashByIndex.get(highest);
        if (leader.log.chainHash(highest) != expected) {
            return leader.id + " was elected in term " + leader.core.term()
                    + " without the committed prefix up to index " + highest;
        }
        return null;
    }
}
