package basalt.consensus.core;

import basalt.common.check.Check;

/** A membership and the index of the CONFIG entry that made it (0 for the bootstrap membership). */
public record ConfigAt(long index, Membership membership) {
    public ConfigAt {
        Check.arg(index >= 0, "config index %s must not be negative", index);
        Check.arg(membership != null, "membership must not be null");
    }
}
