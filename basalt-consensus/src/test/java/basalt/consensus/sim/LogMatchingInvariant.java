package basalt.consensus.sim;

import basalt.consensus.core.Entry;
import basalt.consensus.core.OpId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Log matching (section 3.5): two logs holding an entry with the same OpId are identical up to it.
 * Every entry a replica appends is compared, through its chain hash (a hash of the whole prefix), with
 * the first replica that held the same OpId.
 */
final class LogMatchingInvariant {
    private final Map<OpId, Long> prefixHashByOpId = new TreeMap<>();
    private final Map<OpId, String> firstHolder = new TreeMap<>();

    String check(SimNode node, List<Entry> appended) {
        for (Entry entry : appended) {
            long hash = node.log.chainHash(entry.index());
            Long known = prefixHashByOpId.putIfAbsent(entry.opId(), hash);
            if (known == null) {
                firstHolder.put(entry.opId(), node.id.value());
            } else if (known != hash) {
                return node.id + " holds " + entry.opId() + " after a different prefix than "
                        + firstHolder.get(entry.opId()) + " does";
            }
        }
        return null;
    }
}
