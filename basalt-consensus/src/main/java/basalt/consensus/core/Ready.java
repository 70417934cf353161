package basalt.consensus.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the driver must do after one step, in this order:
 * <ol>
 *   <li>write {@code hardState} when present, then append {@code entries} to the WAL (an entry whose
 *       index is already in the WAL replaces it and everything after it); fsync when {@code mustSync}.
 *       The hard state must be durable before anything in {@code sendAfterDurable} leaves;</li>
 *   <li>send {@code sendNow} at once (it may overlap with 1: this is how a leader replicates in parallel
 *       with its own fsync); send {@code sendAfterDurable} only once step 1 of this and every earlier
 *       Ready is durable, then feed {@link Input.LogDurable} back;</li>
 *   <li>apply committed entries up to {@code applyUpTo} in order (never beyond what is durable locally);</li>
 *   <li>start a tablet copy to each of {@code peersNeedingTabletCopy} (leader only).</li>
 * </ol>
 */
public record Ready(Optional<HardState> hardState, List<Entry> entries, boolean mustSync,
                    List<Message> sendNow, List<Message> sendAfterDurable, long applyUpTo,
                    Optional<ProposalResult> proposal, List<NodeId> peersNeedingTabletCopy, List<Event> events) {

    public boolean isEmpty() {
        return hardState.isEmpty() && entries.isEmpty() && sendNow.isEmpty() && sendAfterDurable.isEmpty()
                && proposal.isEmpty() && peersNeedingTabletCopy.isEmpty() && events.isEmpty();
    }

    /** Collects the effects of one step; {@link RaftCore} drains it into a {@link Ready}. */
    static final class Builder {
        private boolean hardStateChanged;
        private final List<Entry> entries = new ArrayList<>();
        private final List<Message> sendNow = new ArrayList<>();
        private final List<Message> sendAfterDurable = new ArrayList<>();
        private ProposalResult proposal;
        private final List<NodeId> peersNeedingTabletCopy = new ArrayList<>();
        private final List<Event> events = new ArrayList<>();

        void hardStateChanged() {
            hardStateChanged = true;
        }

        void persist(List<Entry> newEntries) {
            entries.addAll(newEntries);
        }

        void sendNow(Message message) {
            sendNow.add(message);
        }

        void sendAfterDurable(Message message) {
            sendAfterDurable.add(message);
        }

        void proposal(ProposalResult result) {
            proposal = result;
        }

        void needsTabletCopy(NodeId peer) {
            if (!peersNeedingTabletCopy.contains(peer)) {
                peersNeedingTabletCopy.add(peer);
            }
        }

        void event(Event event) {
            events.add(event);
        }

        Ready drain(HardState current, long applyUpTo) {
            Ready ready = new Ready(hardStateChanged ? Optional.of(current) : Optional.empty(),
                    List.copyOf(entries), hardStateChanged || !entries.isEmpty(),
                    List.copyOf(sendNow), List.copyOf(sendAfterDurable), applyUpTo,
                    Optional.ofNullable(proposal), List.copyOf(peersNeedingTabletCopy), List.copyOf(events));
            hardStateChanged = false;
            entries.clear();
            sendNow.clear();
            sendAfterDurable.clear();
            proposal = null;
            peersNeedingTabletCopy.clear();
            events.clear();
            return ready;
        }
    }
}
