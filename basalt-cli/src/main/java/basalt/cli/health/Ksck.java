package basalt.cli.health;

import basalt.cli.rpc.ClusterClient;
import basalt.common.net.HostPort;
import basalt.proto.ChecksumRequestPB;
import basalt.proto.ChecksumResponsePB;
import basalt.proto.Code;
import basalt.proto.ConsensusStatePB;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.TableEntryPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TabletLocationPB;
import basalt.proto.TabletServerEntryPB;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks of {@code basalt cluster ksck}, in the order an operator reads them:
 * <ol>
 * <li>masters: every master answers, exactly one leads, and every master names the same leader and the
 *     same voters;</li>
 * <li>tablet servers: every one the leader master knows is live;</li>
 * <li>tablets: each has one leader, a majority of its voters answering, and no replica whose applied
 *     index is more than {@code maxLagEntries} behind the leader's commit index;</li>
 * <li>checksums: every replica's checksum at one snapshot equals the leader's.</li>
 * </ol>
 * The snapshot: the leader picks its safe time T and checksums at T; everything at or below T is in
 * entries the leader had applied when it answered, so each follower is checksummed at T once it has
 * applied that far (a follower's own safe time does not know of the leader's in-flight writes).
 */
public final class Ksck {
    /** One finding; {@code ok} false is a problem that makes the cluster unhealthy. */
    public record Finding(String area, String subject, boolean ok, String detail) {}

    private final ClusterClient client;
    private final RaftStates states;
    private final Duration deadline;
    private final long maxLagEntries;
    private final List<Finding> findings = new ArrayList<>();

    public Ksck(ClusterClient client, Duration deadline, long maxLagEntries) {
        this.client = client;
        this.states = new RaftStates(client);
        this.deadline = deadline;
        this.maxLagEntries = maxLagEntries;
    }

    public List<Finding> run() {
        checkMasters();
        boolean leaderMaster = findings.stream().noneMatch(f -> f.area().equals("masters") && f.subject().equals("leader") && !f.ok());
        if (leaderMaster) {
            checkTabletServers();
            checkTablets();
        }
        return List.copyOf(findings);
    }

    public static boolean healthy(List<Finding> findings) {
        return findings.stream().allMatch(Finding::ok);
    }

    private void report(String area, String subject, boolean ok, String detail) {
        findings.add(new Finding(area, subject, ok, detail));
    }

    private void checkMasters() {
        List<ReplicaState> masters = states.catalog();
        List<ConsensusStatePB> answered = new ArrayList<>();
        for (ReplicaState master : masters) {
            if (master.state().isEmpty()) {
                report("masters", master.address().toString(), false, master.problem());
            } else {
                answered.add(master.state().get());
                report("masters", master.address().toString(), true, master.state().get().getRole() + " term "
                        + master.state().get().getTerm());
            }
        }
        Optional<ReplicaState> leader = RaftStates.leader(masters);
        if (leader.isEmpty()) {
            report("masters", "leader", false, "no master leads");
            return;
        }
        ConsensusStatePB leaderState = leader.get().state().orElseThrow();
        long leaders = answered.stream().filter(state -> state.getRole().equals("leader")
                && state.getTerm() == leaderState.getTerm()).count();
        Set<String> leaderVoters = new TreeSet<>(leaderState.getMembership().getVotersList());
        List<String> disagreements = new ArrayList<>();
        for (ConsensusStatePB state : answered) {
            if (!state.getLeaderUuid().equals(leaderState.getSelf())) {
                disagreements.add(state.getSelf() + " names leader '" + state.getLeaderUuid() + "'");
            }
            if (!new TreeSet<>(state.getMembership().getVotersList()).equals(leaderVoters)) {
                disagreements.add(state.getSelf() + " has voters " + new TreeSet<>(state.getMembership().getVotersList()));
            }
        }
        report("masters", "leader", leaders == 1 && disagreements.isEmpty(), leaders != 1
                ? leaders + " masters lead at term " + leaderState.getTerm()
                : disagreements.isEmpty() ? leaderState.getSelf() + " leads at term " + leaderState.getTerm()
                + ", voters " + leaderVoters + ", every master agrees"
                : "leader " + leaderState.getSelf() + " with voters " + leaderVoters + ", but " + String.join("; ", disagreements));
    }

    private void checkTabletServers() {
        List<TabletServerEntryPB> servers = states.tabletServers(deadline);
        if (servers.isEmpty()) {
            report("tablet servers", "count", false, "the leader master knows no tablet server");
        }
        for (TabletServerEntryPB server : servers) {
            report("tablet servers", server.getServer().getUuid(), server.getLive(),
                    (server.getLive() ? "live" : "DEAD") + ", last heartbeat " + server.getMillisSinceHeartbeat()
                            + " ms ago, " + server.getReplicas() + " replicas");
        }
    }

    private void checkTablets() {
        ListTablesResponsePB tables = client.master(stub -> stub.listTables(ListTablesRequestPB.getDefaultInstance()),
                r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), deadline);
        if (tables.hasError()) {
            report("tablets", "list", false, tables.getError().getMessage());
            return;
        }
        for (TableEntryPB table : tables.getTablesList()) {
            GetTableLocationsResponsePB locations = client.master(stub -> stub.getTableLocations(GetTableLocationsRequestPB
                            .newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(table.getTableId())).build()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), deadline);
            if (locations.hasError()) {
                report("tablets", table.getName(), false, locations.getError().getMessage());
                continue;
            }
            for (TabletLocationPB tablet : locations.getTabletsList()) {
                checkTablet(table.getName(), tablet);
            }
        }
    }

    private void checkTablet(String table, TabletLocationPB tablet) {
        String subject = table + "/" + tablet.getTabletId();
        List<ReplicaState> replicas = new ArrayList<>();
        for (ReplicaLocationPB replica : tablet.getReplicasList()) {
            replicas.add(states.stateAt(ClusterClient.address(replica.getServer().getAddress()), replica.getServer().getUuid(),
                    tablet.getTabletId()));
        }
        List<String> problems = new ArrayList<>();
        replicas.stream().filter(r -> r.state().isEmpty())
                .forEach(r -> problems.add("replica on " + r.serverUuid() + ": " + r.problem()));
        Optional<ReplicaState> leader = RaftStates.leader(replicas);
        if (leader.isEmpty()) {
            problems.add("no leader");
            report("tablets", subject, false, String.join("; ", problems));
            return;
        }
        ConsensusStatePB leaderState = leader.get().state().orElseThrow();
        List<String> voters = leaderState.getMembership().getVotersList();
        long answering = replicas.stream().filter(r -> r.state().isPresent() && voters.contains(r.serverUuid())).count();
        if (answering <= voters.size() / 2) {
            problems.add("only " + answering + " of " + voters.size() + " voters answer (no majority)");
        }
        for (ReplicaState replica : replicas) {
            if (replica.state().isPresent()) {
                long lag = leaderState.getCommitIndex() - replica.state().get().getAppliedIndex();
                if (lag > maxLagEntries) {
                    problems.add("replica on " + replica.serverUuid() + " is " + lag + " entries behind (bound "
                            + maxLagEntries + ")");
                }
            }
        }
        String checksums = compareChecksums(leader.get(), replicas, problems);
        report("tablets", subject, problems.isEmpty(), problems.isEmpty()
                ? "leader " + leader.get().serverUuid() + " term " + leaderState.getTerm() + ", " + answering + "/"
                + voters.size() + " voters, " + checksums : String.join("; ", problems));
    }

    private String compareChecksums(ReplicaState leader, List<ReplicaState> replicas, List<String> problems) {
        String tabletId = leader.groupId();
        ChecksumResponsePB atLeader;
        long leaderApplied;
        try {
            atLeader = checksum(leader.address(), tabletId, 0);
            leaderApplied = states.stateAt(leader.address(), leader.serverUuid(), tabletId).state()
                    .map(ConsensusStatePB::getAppliedIndex).orElse(Long.MAX_VALUE);
        } catch (RuntimeException e) {
            problems.add("checksum at the leader: " + e.getMessage());
            return "";
        }
        for (ReplicaState replica : replicas) {
            if (replica == leader || replica.state().isEmpty()) {
                continue;
            }
            try {
                awaitApplied(replica, leaderApplied);
                ChecksumResponsePB there = checksum(replica.address(), tabletId, atLeader.getSnapshotTimestamp());
                if (there.getChecksum() != atLeader.getChecksum() || there.getRows() != atLeader.getRows()) {
                    problems.add(String.format("replica on %s: checksum %016x over %d rows, the leader's is %016x over %d rows"
                                    + " (snapshot %d)", replica.serverUuid(), there.getChecksum(), there.getRows(),
                            atLeader.getChecksum(), atLeader.getRows(), atLeader.getSnapshotTimestamp()));
                }
            } catch (RuntimeException e) {
                problems.add("checksum on " + replica.serverUuid() + ": " + e.getMessage());
            }
        }
        return String.format("checksums equal (%d rows, %016x)", atLeader.getRows(), atLeader.getChecksum());
    }

    private void awaitApplied(ReplicaState replica, long index) {
        long end = System.nanoTime() + deadline.toNanos();
        // Bounded by the deadline: a live follower applies the leader's entries within milliseconds.
        while (true) {
            ReplicaState now = states.stateAt(replica.address(), replica.serverUuid(), replica.groupId());
            long applied = now.state().map(ConsensusStatePB::getAppliedIndex).orElse(-1L);
            if (applied >= index) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new IllegalStateException("applied index " + applied + " did not reach the leader's " + index);
            }
            pause();
        }
    }

    private ChecksumResponsePB checksum(HostPort server, String tabletId, long timestamp) {
        long end = System.nanoTime() + deadline.toNanos();
        // Bounded by the deadline: "not yet safe" is retried.
        while (true) {
            ChecksumResponsePB response;
            try {
                response = client.tabletServer(server, RaftStates.PER_SERVER).checksum(ChecksumRequestPB.newBuilder()
                        .setTabletId(tabletId).setSnapshotTimestamp(timestamp).build());
            } catch (StatusRuntimeException e) {
                throw new IllegalStateException("unreachable (" + e.getStatus().getCode() + ")");
            }
            if (!response.hasError()) {
                return response;
            }
            if (response.getError().getCode() != Code.SERVICE_UNAVAILABLE || System.nanoTime() > end) {
                throw new IllegalStateException(response.getError().getCode() + " " + response.getError().getMessage());
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(20); // between polls bounded by the deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
