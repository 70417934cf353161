package basalt.consensus.sim;

import basalt.consensus.core.NodeId;
import java.util.Set;
import java.util.TreeSet;

/**
 * The simulated network's fault settings. Delivery itself is an event in {@link Simulation}'s queue;
 * this class only decides whether and when a message arrives.
 *
 * <ul>
 *   <li>{@code dropProbability}: each message is lost with this probability;</li>
 *   <li>{@code duplicateProbability}: each delivered message arrives a second time;</li>
 *   <li>{@code maxDelayUnits}: delay is uniform in [1, max] time units (a tick is 10), which reorders;</li>
 *   <li>cut links: a directed pair (from, to) drops everything, so partitions may be one-way.</li>
 * </ul>
 */
final class SimNetwork {
    double dropProbability;
    double duplicateProbability;
    int maxDelayUnits;
    private final Set<String> cutLinks = new TreeSet<>();

    SimNetwork(double dropProbability, double duplicateProbability, int maxDelayUnits) {
        this.dropProbability = dropProbability;
        this.duplicateProbability = duplicateProbability;
        this.maxDelayUnits = maxDelayUnits;
    }

    void cut(NodeId from, NodeId to) {
        cutLinks.add(from + ">" + to);
    }

    void restore(NodeId from, NodeId to) {
        cutLinks.remove(from + ">" + to);
    }

    boolean isCut(NodeId from, NodeId to) {
        return cutLinks.contains(from + ">" + to);
    }

    boolean hasCuts() {
        return !cutLinks.isEmpty();
    }

    void healAll() {
        cutLinks.clear();
    }

    @Override
    public String toString() {
        return "drop=" + dropProbability + " dup=" + duplicateProbability + " maxDelay=" + maxDelayUnits
                + " cuts=" + cutLinks;
    }
}
