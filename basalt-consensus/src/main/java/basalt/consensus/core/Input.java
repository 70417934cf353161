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

    /** Hand leadership to {@code target} once it has caught up (leader only). */
    record TransferLeadership(NodeId target) implements Input {}

    /**
     * The driver installed a tablet copy: the state machine holds everything up to {@code lastIncluded},
     * and the WAL was reset to start right after it. {@code config} is the membership as of that point.
     */
    record TabletCopyInstalled(OpId lastIncluded, ConfigAt config) implements Input {}
}
