package basalt.cli.health;

import basalt.cli.rpc.ClusterClient;
import basalt.common.net.HostPort;
import basalt.proto.ConsensusStatePB;
import basalt.proto.ConsensusStateRequestPB;
import basalt.proto.ConsensusStateResponsePB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListMastersResponsePB;
import basalt.proto.ListTabletServersRequestPB;
import basalt.proto.ListTabletServersResponsePB;
import basalt.proto.MasterEntryPB;
import basalt.proto.TabletServerEntryPB;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Asks servers directly for the Raft state of their groups. Masters are the union of the addresses the
 * operator gave and those any master lists (so a master missing from {@code -m} is still seen); tablet
 * servers are those the leader master knows. A server that does not answer within {@link #PER_SERVER}
 * is reported, not skipped.
 */
public final class RaftStates {
    public static final String CATALOG = "catalog";
    static final Duration PER_SERVER = Duration.ofSeconds(3);

    private final ClusterClient client;

    public RaftStates(ClusterClient client) {
        this.client = client;
    }

    /** Every master's address, the given ones first. */
    public List<HostPort> masterAddresses() {
        Map<HostPort, Boolean> all = new LinkedHashMap<>();
        client.masters().forEach(address -> all.put(address, true));
        for (HostPort master : client.masters()) {
            try {
                ListMastersResponsePB listed = client.masterAt(master, PER_SERVER).listMasters(ListMastersRequestPB.getDefaultInstance());
                for (MasterEntryPB entry : listed.getMastersList()) {
                    all.put(ClusterClient.address(entry.getRpcAddress()), true);
                }
            } catch (StatusRuntimeException e) {
                // unreachable: its state is reported as such by catalog()
            }
        }
        return List.copyOf(all.keySet());
    }

    /** The catalog group on every master. */
    public List<ReplicaState> catalog() {
        List<ReplicaState> states = new ArrayList<>();
        for (HostPort master : masterAddresses()) {
            states.add(stateAt(master, "", CATALOG));
        }
        return states;
    }

    /** The tablet servers the leader master knows, live or not. */
    public List<TabletServerEntryPB> tabletServers(Duration deadline) {
        ListTabletServersResponsePB response = client.master(stub -> stub.listTabletServers(
                ListTabletServersRequestPB.getDefaultInstance()),
                r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), deadline);
        if (response.hasError()) {
            throw new IllegalStateException("list tablet servers: " + response.getError().getMessage());
        }
        return response.getServersList().stream()
                .sorted(Comparator.comparing(server -> server.getServer().getUuid())).toList();
    }

    /** The state of one group ({@code ""}: every group) on every tablet server; servers not hosting it are left out. */
    public List<ReplicaState> tablets(String groupId, Duration deadline) {
        List<ReplicaState> states = new ArrayList<>();
        for (TabletServerEntryPB server : tabletServers(deadline)) {
            HostPort address = ClusterClient.address(server.getServer().getAddress());
            try {
                ConsensusStateResponsePB response = client.consensus(address, PER_SERVER).getConsensusState(
                        ConsensusStateRequestPB.newBuilder().setGroupId(groupId).build());
                response.getGroupsList().forEach(group -> states.add(ReplicaState.of(address, group)));
            } catch (StatusRuntimeException e) {
                states.add(ReplicaState.unreachable(groupId.isEmpty() ? "*" : groupId, server.getServer().getUuid(),
                        address, e.getStatus().getCode().toString()));
            }
        }
        states.sort(Comparator.comparing(ReplicaState::groupId).thenComparing(ReplicaState::serverUuid));
        return states;
    }

    /** One group's state on one server; {@code uuid} names the server when it does not answer. */
    public ReplicaState stateAt(HostPort address, String uuid, String groupId) {
        try {
            ConsensusStateResponsePB response = client.consensus(address, PER_SERVER).getConsensusState(
                    ConsensusStateRequestPB.newBuilder().setGroupId(groupId).build());
            if (response.hasError()) {
                return ReplicaState.unreachable(groupId, uuid, address, response.getError().getCode() + " "
                        + response.getError().getMessage());
            }
            ConsensusStatePB state = response.getGroups(0);
            return ReplicaState.of(address, state);
        } catch (StatusRuntimeException e) {
            return ReplicaState.unreachable(groupId, uuid, address, "unreachable (" + e.getStatus().getCode() + ")");
        }
    }

    /** The replica that leads at the highest term, if any does. */
    public static Optional<ReplicaState> leader(List<ReplicaState> replicas) {
        return replicas.stream().filter(ReplicaState::isLeader)
                .max(Comparator.comparingLong(replica -> replica.state().orElseThrow().getTerm()));
    }
}
