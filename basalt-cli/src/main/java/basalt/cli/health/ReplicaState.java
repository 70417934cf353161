package basalt.cli.health;

import basalt.common.net.HostPort;
import basalt.proto.ConsensusStatePB;
import java.util.Optional;

/** One replica of a Raft group as its server reported it, or why the server did not. */
public record ReplicaState(String groupId, String serverUuid, HostPort address, Optional<ConsensusStatePB> state,
                           String problem) {
    public static ReplicaState of(HostPort address, ConsensusStatePB state) {
        return new ReplicaState(state.getGroupId(), state.getSelf(), address, Optional.of(state), "");
    }

    public static ReplicaState unreachable(String groupId, String serverUuid, HostPort address, String problem) {
        return new ReplicaState(groupId, serverUuid, address, Optional.empty(), problem);
    }

    public boolean isLeader() {
        return state.isPresent() && state.get().getRole().equals("leader");
    }
}
