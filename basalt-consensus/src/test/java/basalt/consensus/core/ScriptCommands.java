package basalt.consensus.core;

import basalt.common.check.Check;
import basalt.consensus.core.ScriptCluster.Node;
import basalt.consensus.core.ScriptTest.Command;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The script commands, one method each (etcd's rafttest handlers). Every command writes to the
 * cluster's output; a command with nothing to say prints {@code ok}.
 */
final class ScriptCommands {
    private final ScriptCluster cluster = new ScriptCluster();

    /** Runs one command and returns its output lines. */
    List<String> run(Command command) {
        cluster.out.lines.clear();
        cluster.out.verbose = true;
        switch (command.name()) {
            case "add-nodes" -> addNodes(command);
            case "campaign" -> campaign(command);
            case "tick" -> tick(command);
            case "run-ticks" -> runTicks(command);
            case "deliver" -> deliver(command);
            case "persist" -> persist(command);
            case "stabilize" -> stabilize(command);
            case "propose" -> propose(command);
            case "add-learner" -> changeMembership(command, new MembershipChange.AddLearner(target(command)));
            case "promote" -> changeMembership(command, new MembershipChange.PromoteLearner(target(command)));
            case "remove" -> changeMembership(command, new MembershipChange.RemoveMember(target(command)));
            case "transfer" -> transfer(command);
            case "partition" -> partition(command);
            case "heal" -> heal(command);
            case "gc" -> gc(command);
            case "install-copy" -> installCopy(command);
            case "status" -> status(command);
            case "log" -> log(command);
            default -> throw new IllegalArgumentException("unknown command '" + command.name() + "'");
        }
        List<String> lines = new ArrayList<>(cluster.out.lines);
        return lines.isEmpty() ? List.of("ok") : lines;
    }

    /** {@code add-nodes N voters=(1,2,3) [learners=(..)] [election=10] [heartbeat=1] [inflight=64]
     *  [max-bytes=1048576] [prevote=true] [check-quorum=true] [seed=1]}: nodes 1..N, all bootstrapped
     *  with the same membership; a node in neither list is a spare that can be added later. */
    private void addNodes(Command command) {
        cluster.nodes.clear();
        cluster.partition.clear();
        int count = Integer.parseInt(command.arg(0));
        RaftConfig config = new RaftConfig(command.intOption("election", 10), command.intOption("heartbeat", 1),
                command.intOption("max-bytes", 1 << 20), command.intOption("inflight", 64),
                Boolean.parseBoolean(command.option("prevote", "true")),
                Boolean.parseBoolean(command.option("check-quorum", "true")));
        TreeSet<NodeId> voters = new TreeSet<>();
        command.numbers("voters").forEach(number -> voters.add(ScriptCluster.idOf(number)));
        TreeSet<NodeId> learners = new TreeSet<>();
        command.numbers("learners").forEach(number -> learners.add(ScriptCluster.idOf(number)));
        Membership bootstrap = new Membership(voters, learners);
        SplittableRandom root = new SplittableRandom(command.intOption("seed", 1));
        for (int number = 1; number <= count; number++) {
            cluster.nodes.put(number, new Node(number, config, bootstrap, root.split()));
        }
    }

    /** {@code campaign N}: ticks node N alone until its election timeout fires (at most twice the base). */
    private void campaign(Command command) {
        Node node = cluster.node(command.intArg(0));
        int bound = 2 * node.core.config().electionTimeoutTicks();
        for (int tick = 0; tick < bound && node.core.role() instanceof Role.Follower; tick++) {
            cluster.step(node, new Input.Tick(), "");
        }
        Check.state(!(node.core.role() instanceof Role.Follower), "%s did not campaign", node.id);
    }

    /** {@code tick N|all [count=K]}: K ticks; messages sent wait in the inboxes. */
    private void tick(Command command) {
        int count = command.intOption("count", 1);
        for (int i = 0; i < count; i++) {
            for (Node node : nodes(command.arg(0))) {
                cluster.step(node, new Input.Tick(), "");
            }
        }
    }

    /** {@code run-ticks K}: K rounds of "tick every node, then stabilize", printing events only. */
    private void runTicks(Command command) {
        cluster.out.verbose = false;
        for (int i = 0; i < command.intArg(0); i++) {
            for (Node node : cluster.nodes.values()) {
                cluster.step(node, new Input.Tick(), "");
            }
            cluster.stabilize();
        }
    }

    /** {@code deliver [from=(..)] [to=(..)] [drop=(..)]}: one round of the matching queued messages. */
    private void deliver(Command command) {
        List<Integer> from = command.numbers("from");
        List<Integer> to = command.numbers("to");
        List<Integer> drop = command.numbers("drop");
        cluster.deliverRound(message -> (from.isEmpty() || from.contains(cluster.node(message.from()).number))
                && (to.isEmpty() || to.contains(cluster.node(message.to()).number)), drop);
    }

    /** {@code persist N|all}: makes the node's pending Readys durable and releases what waited for that. */
    private void persist(Command command) {
        for (Node node : nodes(command.arg(0))) {
            cluster.persist(node);
        }
    }

    /** {@code stabilize}: persist and deliver everything until nothing is left. */
    private void stabilize(Command command) {
        cluster.stabilize();
    }

    /** {@code propose N payload...}: one entry per payload. */
    private void propose(Command command) {
        List<ByteString> payloads = command.args().subList(1, command.args().size()).stream()
                .map(ByteString::copyFromUtf8).toList();
        cluster.step(cluster.node(command.intArg(0)), new Input.Propose(payloads), "");
    }

    /** {@code add-learner|promote|remove N target}: asks node N for a single-server change. */
    private void changeMembership(Command command, MembershipChange change) {
        cluster.step(cluster.node(command.intArg(0)), new Input.ChangeMembership(change), "");
    }

    /** {@code transfer N target}: asks leader N to hand leadership to target. */
    private void transfer(Command command) {
        cluster.step(cluster.node(command.intArg(0)), new Input.TransferLeadership(target(command)), "");
    }

    /** {@code partition (1) (2,3)}: only nodes in the same group hear each other until {@code heal}. */
    private void partition(Command command) {
        cluster.partition.clear();
        for (String group : command.args()) {
            cluster.partition.add(ScriptTest.parseNumbers(group));
        }
    }

    private void heal(Command command) {
        cluster.partition.clear();
    }

    /**
     * {@code gc N}: simulates WAL GC on node N by resetting its log to start after its last entry (which
     * must be committed): a peer that needs anything older now needs a tablet copy.
     */
    private void gc(Command command) {
        Node node = cluster.node(command.intArg(0));
        OpId last = node.log.lastOpId();
        Check.state(node.core.commitIndex() == last.index(), "gc of %s: %s is not committed", node.id, last);
        node.log.resetTo(last);
        cluster.out.line(node.id + " log now starts after " + last);
    }

    /** {@code install-copy N from=L}: node N installs a tablet copy of L's state up to L's first entry. */
    private void installCopy(Command command) {
        Node node = cluster.node(command.intArg(0));
        Node source = cluster.node(command.intOption("from", 0));
        OpId lastIncluded = source.log.snapshotOpId();
        Check.state(source.core.committedConfig().index() <= lastIncluded.index(),
                "the copy of %s would miss its committed membership", source.id);
        cluster.step(node, new Input.TabletCopyInstalled(lastIncluded, source.core.committedConfig()), "");
    }

    /** {@code status [N...]}: role, term, vote, indexes and membership; a leader adds its peers' progress. */
    private void status(Command command) {
        for (Node node : command.args().isEmpty() ? List.copyOf(cluster.nodes.values()) : nodes(command.args())) {
            RaftCore core = node.core;
            cluster.out.line(node.id + " " + core.role().name() + " term=" + core.term()
                    + " vote=" + core.votedFor().map(NodeId::value).orElse("none")
                    + " commit=" + core.commitIndex() + " durable=" + core.durableIndex()
                    + " first=" + node.log.firstIndex() + " last=" + node.log.lastOpId()
                    + " " + core.membership());
            if (core.role() instanceof Role.Leader leader) {
                for (Map.Entry<NodeId, Progress> entry : leader.progress().entrySet()) {
                    cluster.out.line("  " + entry.getKey() + " " + entry.getValue());
                }
            }
        }
    }

    /** {@code log N}: the entries node N holds. */
    private void log(Command command) {
        Node node = cluster.node(command.intArg(0));
        if (node.log.snapshotOpId().index() > 0) {
            cluster.out.line("after " + node.log.snapshotOpId());
        }
        for (Entry entry : node.log.all()) {
            cluster.out.line(ScriptCluster.describe(entry));
        }
    }

    private NodeId target(Command command) {
        return ScriptCluster.idOf(command.intArg(1));
    }

    private List<Node> nodes(String which) {
        return which.equals("all") ? List.copyOf(cluster.nodes.values()) : nodes(List.of(which));
    }

    private List<Node> nodes(List<String> numbers) {
        List<Node> selected = new ArrayList<>();
        for (String number : numbers) {
            if (number.equals("all")) {
                return List.copyOf(cluster.nodes.values());
            }
            selected.addAll(ScriptTest.parseNumbers(number).stream().map(cluster::node).toList());
        }
        return selected;
    }
}
