package basalt.consensus.core;

import basalt.common.check.Check;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Who is in the group: voters elect and count toward commit; learners only receive the log (they catch
 * up before promotion, section 4.2.1). A node is never both. Sets are sorted so iteration is stable.
 */
public record Membership(SortedSet<NodeId> voters, SortedSet<NodeId> learners) {
    public Membership {
        voters = Collections.unmodifiableSortedSet(new TreeSet<>(voters));
        learners = Collections.unmodifiableSortedSet(new TreeSet<>(learners));
        for (NodeId learner : learners) {
            Check.arg(!voters.contains(learner), "%s is both voter and learner", learner);
        }
    }

    public static Membership ofVoters(NodeId... voters) {
        return new Membership(new TreeSet<>(List.of(voters)), new TreeSet<>());
    }

    public static Membership ofVoters(java.util.Collection<NodeId> voters) {
        return new Membership(new TreeSet<>(voters), new TreeSet<>());
    }

    public boolean isVoter(NodeId node) {
        return voters.contains(node);
    }

    public boolean isLearner(NodeId node) {
        return learners.contains(node);
    }

    public boolean contains(NodeId node) {
        return isVoter(node) || isLearner(node);
    }

    /** Voters then learners: every node the leader replicates to. */
    public List<NodeId> members() {
        List<NodeId> all = new ArrayList<>(voters);
        all.addAll(learners);
        return all;
    }

    /** How many voters make a majority. */
    public int quorum() {
        return voters.size() / 2 + 1;
    }

    public Membership withLearner(NodeId node) {
        Check.arg(!contains(node), "%s is already a member", node);
        TreeSet<NodeId> newLearners = new TreeSet<>(learners);
        newLearners.add(node);
        return new Membership(voters, newLearners);
    }

    public Membership withVoter(NodeId node) {
        Check.arg(!isVoter(node), "%s is already a voter", node);
        TreeSet<NodeId> newVoters = new TreeSet<>(voters);
        newVoters.add(node);
        TreeSet<NodeId> newLearners = new TreeSet<>(learners);
        newLearners.remove(node);
        return new Membership(newVoters, newLearners);
    }

    public Membership without(NodeId node) {
        Check.arg(contains(node), "%s is not a member", node);
        TreeSet<NodeId> newVoters = new TreeSet<>(voters);
        newVoters.remove(node);
        TreeSet<NodeId> newLearners = new TreeSet<>(learners);
        newLearners.remove(node);
        return new Membership(newVoters, newLearners);
    }

    /** A stable text form: "voters=a,b,c;learners=d". Used as the payload of CONFIG entries and on disk. */
    public ByteString encode() {
        return ByteString.copyFromUtf8(toString());
    }

    public static Membership decode(ByteString bytes) {
        String text = bytes.toStringUtf8();
        String[] parts = text.split(";", -1);
        Check.arg(parts.length == 2 && parts[0].startsWith("voters=") && parts[1].startsWith("learners="),
                "malformed membership '%s'", text);
        return new Membership(parseIds(parts[0].substring("voters=".length())),
                parseIds(parts[1].substring("learners=".length())));
    }

    private static TreeSet<NodeId> parseIds(String list) {
        TreeSet<NodeId> ids = new TreeSet<>();
        if (!list.isEmpty()) {
            for (String id : list.split(",")) {
                ids.add(new NodeId(id));
            }
        }
        return ids;
    }

    @Override
    public String toString() {
        return "voters=" + String.join(",", voters.stream().map(NodeId::value).toList())
                + ";learners=" + String.join(",", learners.stream().map(NodeId::value).toList());
    }
}
