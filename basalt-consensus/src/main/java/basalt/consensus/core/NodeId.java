package basalt.consensus.core;

import basalt.common.check.Check;

/** The permanent identity of one replica (a server's UUID). Ordered, so sets of them iterate stably. */
public record NodeId(String value) implements Comparable<NodeId> {
    public NodeId {
        Check.arg(value != null && !value.isBlank(), "node id must not be blank");
    }

    public static NodeId of(String value) {
        return new NodeId(value);
    }

    @Override
    public int compareTo(NodeId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
