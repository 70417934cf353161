package basalt.consensus.core;

import basalt.common.check.Check;
import basalt.consensus.core.Message.AppendRequest;
import basalt.consensus.core.Message.AppendResponse;
import basalt.consensus.core.Message.PreVoteRequest;
import basalt.consensus.core.Message.PreVoteResponse;
import basalt.consensus.core.Message.TimeoutNow;
import basalt.consensus.core.Message.VoteRequest;
import basalt.consensus.core.Message.VoteResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * A small in-test cluster for the scripts: N cores, each with a {@link MemoryRaftLog}, an inbox, and the
 * Readys it has not yet made durable. Nothing happens unless a script command asks: ticks, delivery,
 * persistence are all explicit, so every interleaving in a script is chosen by its author.
 *
 * <p>Durability follows {@link Ready}'s contract: entries and the hard state of a Ready become durable
 * only on {@code persist}, which then releases that Ready's {@code sendAfterDurable} messages and feeds
 * {@link Input.LogDurable} back. Messages in {@code sendNow} go to the receiver's inbox at once.
 */
final class ScriptCluster {
    /** The effects of one Ready that are not durable yet. */
    record Unpersisted(Optional<HardState> hardState, List<Entry> entries, List<Message> afterDurable) {}

    static final class Node {
        final int number;
        final NodeId id;
        final MemoryRaftLog log = new MemoryRaftLog();
        final RaftCore core;
        final ArrayDeque<Message> inbox = new ArrayDeque<>();
        final List<Unpersisted> unpersisted = new ArrayList<>();
        long reportedCommitIndex;

        Node(int number, RaftConfig config, Membership bootstrap, RandomGenerator random) {
            this.number = number;
            this.id = idOf(number);
            this.core = new RaftCore(id, config, log, HardState.initial(bootstrap), 0, random);
        }
    }

    /** Where command output goes; {@code verbose} decides whether message traffic is printed. */
    static final class Output {
        final List<String> lines = new ArrayList<>();
        boolean verbose = true;

        void line(String text) {
            lines.add(text);
        }
    }

    final TreeMap<Integer, Node> nodes = new TreeMap<>();
    /** Partition groups by node number; empty when the network is whole. */
    final List<List<Integer>> partition = new ArrayList<>();
    final Output out = new Output();

    static NodeId idOf(int number) {
        return NodeId.of("n" + number);
    }

    Node node(int number) {
        Node node = nodes.get(number);
        Check.arg(node != null, "no node %s", number);
        return node;
    }

    Node node(NodeId id) {
        return node(Integer.parseInt(id.value().substring(1)));
    }

    /** Steps one core and routes its Ready; effects print under {@code indent}. */
    void step(Node node, Input input, String indent) {
        Ready ready = node.core.step(input);
        for (Event event : ready.events()) {
            out.line(indent + event);
        }
        ready.proposal().ifPresent(result -> out.line(indent + node.id + " " + describe(result)));
        for (NodeId peer : ready.peersNeedingTabletCopy()) {
            out.line(indent + node.id + " requests a tablet copy for " + peer);
        }
        if (ready.hardState().isPresent() || !ready.entries().isEmpty() || !ready.sendAfterDurable().isEmpty()) {
            node.unpersisted.add(new Unpersisted(ready.hardState(), ready.entries(), ready.sendAfterDurable()));
            if (out.verbose) {
                for (Message message : ready.sendAfterDurable()) {
                    out.line(indent + node.id + " holds until durable: " + describe(message));
                }
            }
        }
        for (Message message : ready.sendNow()) {
            node(message.to()).inbox.addLast(message);
        }
        if (node.core.commitIndex() != node.reportedCommitIndex) {
            node.reportedCommitIndex = node.core.commitIndex();
            out.line(indent + node.id + " commit=" + node.reportedCommitIndex);
        }
    }

    /**
     * Delivers, in one round, the messages queued now that {@code select} accepts, by receiver then
     * arrival order; messages sent while delivering wait for the next round. A message whose sender or
     * receiver is in {@code drop}, or that crosses the partition, is lost. Returns how many were handled.
     */
    int deliverRound(Predicate<Message> select, List<Integer> drop) {
        List<Message> batch = new ArrayList<>();
        for (Node node : nodes.values()) {
            ArrayDeque<Message> kept = new ArrayDeque<>();
            for (Message message : node.inbox) {
                (select.test(message) ? batch : kept).add(message);
            }
            node.inbox.clear();
            node.inbox.addAll(kept);
        }
        for (Message message : batch) {
            int from = node(message.from()).number;
            int to = node(message.to()).number;
            if (drop.contains(from) || drop.contains(to)) {
                print("dropped " + describe(message));
            } else if (!connected(from, to)) {
                print("dropped (partition) " + describe(message));
            } else {
                print(describe(message));
                step(node(to), new Input.Receive(message), out.verbose ? "  " : "");
            }
        }
        return batch.size();
    }

    /**
     * Makes every unpersisted Ready of {@code node} durable in order: releases its held messages, then
     * reports the newest appended entry as durable. Returns whether there was anything to persist.
     */
    boolean persist(Node node) {
        if (node.unpersisted.isEmpty()) {
            return false;
        }
        List<Unpersisted> pending = List.copyOf(node.unpersisted);
        node.unpersisted.clear();
        Optional<HardState> hardState = Optional.empty();
        Entry lastEntry = null;
        List<Message> released = new ArrayList<>();
        for (Unpersisted unpersisted : pending) {
            if (unpersisted.hardState().isPresent()) {
                hardState = unpersisted.hardState();
            }
            if (!unpersisted.entries().isEmpty()) {
                lastEntry = unpersisted.entries().get(unpersisted.entries().size() - 1);
            }
            released.addAll(unpersisted.afterDurable());
        }
        List<String> parts = new ArrayList<>();
        hardState.ifPresent(state -> parts.add("term=" + state.term()
                + " vote=" + state.votedFor().map(NodeId::value).orElse("none")));
        if (lastEntry != null) {
            parts.add("entries up to " + lastEntry.opId());
        }
        if (!parts.isEmpty()) {
            print(node.id + " persisted " + String.join(" ", parts));
        }
        for (Message message : released) {
            print("  " + node.id + " sends " + describe(message));
            node(message.to()).inbox.addLast(message);
        }
        if (lastEntry != null) {
            step(node, new Input.LogDurable(lastEntry.opId()), out.verbose ? "  " : "");
        }
        return true;
    }

    /** Persists everything and delivers everything until the cluster is quiet; bounded. */
    void stabilize() {
        for (int round = 0; round < 200; round++) {
            boolean busy = false;
            for (Node node : nodes.values()) {
                busy |= persist(node);
            }
            busy |= deliverRound(message -> true, List.of()) > 0;
            if (!busy) {
                return;
            }
        }
        throw new IllegalStateException("the cluster did not settle in 200 rounds");
    }

    boolean connected(int from, int to) {
        if (partition.isEmpty()) {
            return true;
        }
        for (List<Integer> group : partition) {
            if (group.contains(from)) {
                return group.contains(to);
            }
        }
        return false;
    }

    private void print(String line) {
        if (out.verbose) {
            out.line(line);
        }
    }

    // ---------------------------------------------------------------- printing

    static String describe(Message message) {
        String route = message.from() + "->" + message.to() + " ";
        return route + switch (message) {
            case AppendRequest request -> "Append term=" + request.term() + " prev=" + request.prev()
                    + " entries=" + entries(request.entries()) + " commit=" + request.leaderCommit();
            case AppendResponse response -> response.success()
                    ? "AppendResponse term=" + response.term() + " ok match=" + response.matchIndex()
                    : "AppendResponse term=" + response.term() + " reject prev=" + response.rejectedPrevIndex()
                            + " last=" + response.lastIndex()
                            + (response.conflictTerm() == 0 ? ""
                               : " conflict-term=" + response.conflictTerm()
                                 + " conflict-first=" + response.conflictFirstIndex());
            case VoteRequest request -> "VoteRequest term=" + request.term() + " last=" + request.lastOpId()
                    + (request.leadershipTransfer() ? " transfer" : "");
            case VoteResponse response -> "VoteResponse term=" + response.term()
                    + (response.granted() ? " granted" : " refused");
            case PreVoteRequest request -> "PreVoteRequest term=" + request.term() + " proposed="
                    + request.proposedTerm() + " last=" + request.lastOpId();
            case PreVoteResponse response -> "PreVoteResponse term=" + response.term() + " proposed="
                    + response.proposedTerm() + (response.granted() ? " granted" : " refused");
            case TimeoutNow timeoutNow -> "TimeoutNow term=" + timeoutNow.term();
        };
    }

    static String entries(List<Entry> entries) {
        return entries.stream().map(ScriptCluster::describe).collect(Collectors.joining(",", "[", "]"));
    }

    static String describe(Entry entry) {
        return entry.opId() + switch (entry.type()) {
            case NO_OP -> " noop";
            case NORMAL -> " " + entry.payload().toStringUtf8();
            case CONFIG -> " config(" + Membership.decode(entry.payload()) + ")";
        };
    }

    static String describe(ProposalResult result) {
        if (result.isAccepted()) {
            return "accepted proposal at " + result.firstOpId().get() + " (" + result.entryCount() + " entries)";
        }
        return "refused proposal: " + result.refusal()
                + result.leaderHint().map(hint -> " (leader hint " + hint + ")").orElse("");
    }
}
