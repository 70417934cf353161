package basalt.client.meta;

import basalt.common.net.HostPort;
import basalt.proto.PartitionPB;
import java.util.List;
import java.util.Optional;

/**
 * Where one tablet's replicas are, as the master last said, plus this client's own guess of the leader
 * (learned from answers and NOT_THE_LEADER hints, so most calls go straight to the leader). The guess is
 * the only mutable part; calls of many threads update it.
 */
public final class TabletLocation {
    /** A replica the master placed; its address, when the master knows it. */
    public record Replica(String uuid, Optional<HostPort> address, boolean leader) {}

    private final String tabletId;
    private final PartitionPB partition;
    private final List<Replica> replicas;
    private volatile HostPort leaderGuess;

    public TabletLocation(String tabletId, PartitionPB partition, List<Replica> replicas) {
        this.tabletId = tabletId;
        this.partition = partition;
        this.replicas = List.copyOf(replicas);
        this.leaderGuess = replicas.stream().filter(Replica::leader).flatMap(r -> r.address().stream())
                .findFirst().orElse(null);
    }

    public String tabletId() {
        return tabletId;
    }

    public PartitionPB partition() {
        return partition;
    }

    public List<Replica> replicas() {
        return replicas;
    }

    /** The addresses of the replicas that have one, in the master's order. */
    public List<HostPort> addresses() {
        return replicas.stream().flatMap(r -> r.address().stream()).toList();
    }

    public Optional<HostPort> leaderGuess() {
        return Optional.ofNullable(leaderGuess);
    }

    void leaderIs(HostPort leader) {
        leaderGuess = leader;
    }

    /** Forgets the guess when it is {@code failed} (another call may already have learned a better one). */
    void leaderFailed(HostPort failed) {
        if (failed.equals(leaderGuess)) {
            leaderGuess = null;
        }
    }

    @Override
    public String toString() {
        return "tablet " + tabletId + " " + addresses();
    }
}
