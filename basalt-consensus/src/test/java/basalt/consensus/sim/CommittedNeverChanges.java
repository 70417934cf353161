package basalt.consensus.sim;

import basalt.consensus.core.OpId;
import java.util.Map;
import java.util.TreeMap;

/**
 * State machine safety (section 3.6.3): once any replica commits or applies an entry at an index, no
 * replica ever commits or applies a different one there, across crashes and tablet copies. Paired with
 * {@link LeaderCompleteness}, this is "a committed entry is never lost".
 */
final class CommittedNeverChanges {
    final Map<Long, OpId> committed = new TreeMap<>();
    final Map<Long, Long> chainHashByIndex = new TreeMap<>();
    long maxCommittedIndex;

    /** A replica's commit index moved from {@code fromExclusive} to {@code toInclusive}. */
    String onCommit(SimNode node, long fromExclusive, long toInclusive) {
        long start = Math.max(fromExclusive, node.log.snapshotOpId().index()) + 1;
        for (long index = start; index <= toInclusive; index++) {
            OpId opId = new OpId(node.log.term(index), index);
            String violation = record(node, "committed", index, opId, node.log.chainHash(index));
            if (violation != null) {
                return violation;
            }
        }
        return null;
    }

    String onApply(SimNode node, OpId applied) {
        OpId known = committed.get(applied.index());
        if (known != null && !known.equals(applied)) {
            return node.id + " applied " + applied + " but " + known + " was committed at index " + applied.index();
        }
        return null;
    }

    private String record(SimNode node, String what, long index, OpId opId, long chainHash) {
        OpId known = committed.putIfAbsent(index, opId);
        if (known != null && !known.equals(opId)) {
            return node.id + " " + what + " " + opId + " but " + known + " was committed at index " + index;
        }
        chainHashByIndex.putIfAbsent(index, chainHash);
        maxCommittedIndex = Math.max(maxCommittedIndex, index);
        return null;
    }
}
