package basalt.consensus.core;

import com.google.protobuf.ByteString;
import java.util.List;

/** Everything that can happen to a replica. The core reacts to one input at a time. */
public sealed interface Input {
    /** One unit of time passed. */
    record Tick() implements Input {}

    /** A message from a peer arrived. */
    record Receive(Message message) implements Input {}

    /** A client operation for the leader to replicate; consecutive entries, one per payload. */
    record Propose(List<ByteString> payloads) implements Input {
        public Propose {
            payloads = List.copyOf(payloads);
        }
    }

    /** The driver's WAL write and fsync finished for every entry up to and including {@code upTo}. */
    record LogDurable(OpId upTo) implements Input {}

    /** Change the group by one server (leader only). */
    record ChangeMembership(MembershipChange change) implements Input {}

    /**
     * Lead term 1 of a brand-new group without an election. Valid only when whoever created the group
     * persisted, in every initial voter's metadata, term 1 and a vote for this replica (a master creating
     * a tablet does): this replica then holds every vote of term 1 already, and no other replica can win
     * it. Given once, by the code that just created the replica, never on a restart: a replica that led
     * term 1 and crashed must not lead it again with an empty log. Ignored unless this replica is a
     * follower voter in term 1 that voted for itself and has an empty log.
     */
    record LeadFirstTerm() implements Input {}

    /** Hand leadership to {@code target} once it has caught up (leader only). */
    record TransferLeadership(NodeId target) implements Input {}

    /**
     * The driver installed a tablet copy: the state machine holds everything up to {@code lastIncluded},
     * and the WAL was reset to start right after it. {@code config} is the membership as of that point.
     */
    record TabletCopyInstalled(OpId lastIncluded, ConfigAt config) implements Input {}
}
