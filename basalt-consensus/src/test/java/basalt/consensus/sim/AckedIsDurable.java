package basalt.consensus.sim;

import basalt.consensus.core.Message;
import basalt.consensus.core.Message.AppendResponse;
import basalt.consensus.core.Message.VoteResponse;
import java.util.Optional;

/**
 * Durability before acknowledgement (section 3.8): a granted vote leaves only once the term and vote are
 * on disk, and a successful append answer only once the entries it acknowledges are.
 */
final class AckedIsDurable {
    String onSend(SimNode sender, Message message) {
        SimDisk disk = sender.disk;
        if (message instanceof VoteResponse vote && vote.granted()) {
            boolean durable = disk.hardState.term() == vote.term()
                    && disk.hardState.votedFor().equals(Optional.of(vote.to()));
            if (!durable) {
                return sender.id + " granted its vote to " + vote.to() + " in term " + vote.term()
                        + " before persisting it (disk has term " + disk.hardState.term() + ", vote "
                        + disk.hardState.votedFor().map(Object::toString).orElse("none") + ")";
            }
        }
        if (message instanceof AppendResponse append && append.success()) {
            long match = append.matchIndex();
            boolean coveredBySnapshot = match <= disk.walStart.index()
                    || match <= disk.stateMachineSnapshot.lastIncluded().index();
            // The answer may leave after the replica moved on to a later term and replaced the entry (it
            // waited for the fsync that covered it); then it only has to have been durable when written.
            boolean movedOn = sender.core.term() > append.term();
            boolean durable = coveredBySnapshot || disk.durableEntry(match)
                    .map(entry -> movedOn || entry.term() == sender.log.term(match)).orElse(false);
            if (!durable) {
                return sender.id + " acknowledged index " + match + " to " + append.to()
                        + " before it was durable (durable WAL ends at " + disk.lastDurableOpId() + ")";
            }
        }
        return null;
    }
}
