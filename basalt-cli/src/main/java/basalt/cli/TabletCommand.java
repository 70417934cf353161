package basalt.cli;

import basalt.cli.health.RaftStates;
import basalt.cli.health.ReplicaState;
import basalt.cli.rpc.ClusterClient;
import basalt.proto.ConsensusStatePB;
import basalt.proto.TransferLeadershipRequestPB;
import basalt.proto.TransferLeadershipResponsePB;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code basalt tablet step-down}: a graceful leadership transfer (CLI.md). */
@Command(name = "tablet", mixinStandardHelpOptions = true, description = "Tablet replicas and their Raft groups.",
        subcommands = {TabletCommand.StepDownCommand.class})
final class TabletCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: basalt tablet step-down)");
    }

    /**
     * Asks the leader to hand leadership to a voter: the one named, or else the follower with the longest
     * log (its last OpId), so the transfer waits least for catching up. Then waits until another replica
     * leads at a higher term, so exit 0 means the change happened, not only that it was asked for.
     */
    @Command(name = "step-down", mixinStandardHelpOptions = true,
            description = "Move a tablet's leadership to another replica ('catalog' for the masters' group).")
    static final class StepDownCommand extends ClientCommand {
        @Parameters(index = "0", paramLabel = "TABLET_ID", description = "A tablet id, or 'catalog'.")
        String tabletId;

        @Option(names = "--new_leader", description = "uuid of the replica to lead; default: the most caught-up follower.")
        String newLeader;

        @Override
        int run(ClusterClient client) throws InterruptedException {
            RaftStates states = new RaftStates(client);
            List<ReplicaState> replicas = replicasOf(states);
            if (replicas.stream().noneMatch(replica -> replica.state().isPresent())) {
                throw new IllegalStateException("no server reports a replica of " + tabletId);
            }
            ReplicaState leader = RaftStates.leader(replicas)
                    .orElseThrow(() -> new IllegalStateException(tabletId + " has no leader right now; nothing to step down"));
            ConsensusStatePB leaderState = leader.state().orElseThrow();
            String target = newLeader != null ? newLeader : mostCaughtUpFollower(replicas, leaderState)
                    .orElseThrow(() -> new IllegalStateException(tabletId + ": no other voter answers; leadership stays with "
                            + leader.serverUuid()));
            if (!leaderState.getMembership().getVotersList().contains(target) || target.equals(leader.serverUuid())) {
                throw new IllegalArgumentException(tabletId + ": " + target + " is not another voter of the group (voters: "
                        + String.join(", ", leaderState.getMembership().getVotersList()) + "; leader: " + leader.serverUuid() + ")");
            }
            TransferLeadershipResponsePB response = client.consensus(leader.address(), deadline()).transferLeadership(
                    TransferLeadershipRequestPB.newBuilder().setGroupId(tabletId).setNewLeaderUuid(target).build());
            if (response.hasError()) {
                throw new IllegalStateException("transfer of " + tabletId + " from " + leader.serverUuid() + ": "
                        + response.getError().getCode() + " " + response.getError().getMessage());
            }
            long end = System.nanoTime() + deadline().toNanos();
            // Bounded by the deadline: wait for the new leader to be elected and to say so.
            while (System.nanoTime() < end) {
                Optional<ReplicaState> now = RaftStates.leader(replicasOf(states));
                if (now.isPresent() && now.get().state().orElseThrow().getTerm() > leaderState.getTerm()) {
                    out().printf("%s: leadership moved from %s (term %d) to %s (term %d)%n", tabletId, leader.serverUuid(),
                            leaderState.getTerm(), now.get().serverUuid(), now.get().state().orElseThrow().getTerm());
                    out().flush();
                    return 0;
                }
                Thread.sleep(50); // polling the replicas for the new leader, bounded by the deadline
            }
            throw new IllegalStateException(tabletId + ": asked " + leader.serverUuid() + " to hand over to " + target
                    + ", but no new leader within " + deadline().toMillis() + " ms");
        }

        private List<ReplicaState> replicasOf(RaftStates states) {
            return tabletId.equals(RaftStates.CATALOG) ? states.catalog() : states.tablets(tabletId, deadline());
        }

        private static Optional<String> mostCaughtUpFollower(List<ReplicaState> replicas, ConsensusStatePB leader) {
            return replicas.stream().filter(replica -> replica.state().isPresent() && !replica.isLeader())
                    .filter(replica -> leader.getMembership().getVotersList().contains(replica.serverUuid()))
                    .max(Comparator.comparingLong((ReplicaState replica) -> replica.state().orElseThrow().getLastOpId().getIndex())
                            .thenComparing(ReplicaState::serverUuid, Comparator.reverseOrder()))
                    .map(ReplicaState::serverUuid);
        }
    }
}
