package basalt.cli;

import basalt.cli.health.RaftStates;
import basalt.cli.health.ReplicaState;
import basalt.cli.rpc.ClusterClient;
import basalt.proto.ConsensusStatePB;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code basalt consensus state}: the Raft state of a group's replicas, asked of each server (CLI.md). */
@Command(name = "consensus", mixinStandardHelpOptions = true, description = "Raft groups of the cluster.",
        subcommands = {ConsensusCommand.StateCommand.class})
final class ConsensusCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: basalt consensus state)");
    }

    @Command(name = "state", mixinStandardHelpOptions = true,
            description = "Term, role, commit index and last OpId of each replica of a tablet (or of every group).")
    static final class StateCommand extends ClientCommand {
        @Mixin
        Format format;

        @Option(names = "--tablet", description = "A tablet id, or 'catalog' for the masters' group; default: every group.")
        String tablet;

        @Override
        void validate() {
            json(format);
        }

        @Override
        int run(ClusterClient client) {
            RaftStates states = new RaftStates(client);
            List<ReplicaState> replicas = new ArrayList<>();
            if (tablet == null || tablet.equals(RaftStates.CATALOG)) {
                replicas.addAll(states.catalog());
            }
            if (tablet == null || !tablet.equals(RaftStates.CATALOG)) {
                replicas.addAll(states.tablets(tablet == null ? "" : tablet, deadline()));
            }
            if (tablet != null && replicas.stream().noneMatch(replica -> replica.state().isPresent())) {
                throw new IllegalStateException("no server reports a replica of " + tablet);
            }
            if (json(format)) {
                JsonArray list = new JsonArray();
                for (ReplicaState replica : replicas) {
                    list.add(toJson(replica));
                }
                printJson(list);
                return 0;
            }
            out().printf("%-34s %-34s %-22s %-9s %-6s %-8s %-8s %s%n", "group", "uuid", "rpc_address", "role", "term",
                    "commit", "applied", "last_op_id");
            for (ReplicaState replica : replicas) {
                if (replica.state().isEmpty()) {
                    out().printf("%-34s %-34s %-22s %s%n", replica.groupId(), replica.serverUuid(), replica.address(),
                            replica.problem());
                    continue;
                }
                ConsensusStatePB state = replica.state().get();
                out().printf("%-34s %-34s %-22s %-9s %-6d %-8d %-8d %d.%d%n", state.getGroupId(), state.getSelf(),
                        replica.address(), state.getRole().toUpperCase(java.util.Locale.ROOT), state.getTerm(),
                        state.getCommitIndex(), state.getAppliedIndex(), state.getLastOpId().getTerm(),
                        state.getLastOpId().getIndex());
            }
            out().flush();
            return 0;
        }

        private static JsonObject toJson(ReplicaState replica) {
            JsonObject entry = new JsonObject();
            entry.addProperty("group_id", replica.groupId());
            entry.addProperty("uuid", replica.serverUuid());
            entry.addProperty("rpc_address", replica.address().toString());
            if (replica.state().isEmpty()) {
                entry.addProperty("error", replica.problem());
                return entry;
            }
            ConsensusStatePB state = replica.state().get();
            entry.addProperty("role", state.getRole().toUpperCase(java.util.Locale.ROOT));
            entry.addProperty("term", state.getTerm());
            entry.addProperty("leader_uuid", state.getLeaderUuid());
            entry.addProperty("commit_index", state.getCommitIndex());
            entry.addProperty("applied_index", state.getAppliedIndex());
            JsonObject lastOpId = new JsonObject();
            lastOpId.addProperty("term", state.getLastOpId().getTerm());
            lastOpId.addProperty("index", state.getLastOpId().getIndex());
            entry.add("last_op_id", lastOpId);
            JsonArray voters = new JsonArray();
            state.getMembership().getVotersList().forEach(voters::add);
            entry.add("voters", voters);
            JsonArray learners = new JsonArray();
            state.getMembership().getLearnersList().forEach(learners::add);
            entry.add("learners", learners);
            return entry;
        }
    }
}
