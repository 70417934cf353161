package basalt.consensus.driver;

import basalt.common.check.Check;
import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.RaftConfig;
import basalt.consensus.wal.WalOptions;
import java.nio.file.Path;

/**
 * How to open one replica of a group.
 *
 * @param groupId the group (a tablet id, or "catalog")
 * @param self this replica
 * @param dir holds the group's {@code wal/} directory and {@code consensus-meta} file
 * @param initialMembership used only when {@code dir} is new: the bootstrap voters, or an empty
 *     membership for a replica that joins an existing group and learns it from the leader
 * @param logCacheBytesMax bound of the in-memory log tail
 * @param gcEveryTicks how often the driver deletes WAL segments below the state machine's durable point
 * @param inboxCapacity queued inputs at most; further messages are dropped (Raft retries them)
 * @param randomSeed seeds the election jitter; logged so a run can be understood later
 */
public record GroupOptions(String groupId, NodeId self, Path dir, Membership initialMembership, RaftConfig raft,
                           WalOptions wal, long logCacheBytesMax, int gcEveryTicks, int inboxCapacity,
                           long randomSeed) {
    public static final long DEFAULT_LOG_CACHE_BYTES_MAX = 64L << 20;

    public GroupOptions {
        Check.arg(groupId != null && !groupId.isBlank(), "groupId must not be blank");
        Check.arg(logCacheBytesMax > 0, "logCacheBytesMax %s must be positive", logCacheBytesMax);
        Check.arg(gcEveryTicks > 0, "gcEveryTicks %s must be positive", gcEveryTicks);
        Check.arg(inboxCapacity > 0, "inboxCapacity %s must be positive", inboxCapacity);
    }

    public static GroupOptions defaults(String groupId, NodeId self, Path dir, Membership initialMembership) {
        return new GroupOptions(groupId, self, dir, initialMembership, RaftConfig.DEFAULT, WalOptions.defaults(),
                DEFAULT_LOG_CACHE_BYTES_MAX, 100, 10_000, self.value().hashCode() * 31L + groupId.hashCode());
    }

    public GroupOptions withRaft(RaftConfig newRaft) {
        return new GroupOptions(groupId, self, dir, initialMembership, newRaft, wal, logCacheBytesMax, gcEveryTicks,
                inboxCapacity, randomSeed);
    }

    public GroupOptions withWal(WalOptions newWal) {
        return new GroupOptions(groupId, self, dir, initialMembership, raft, newWal, logCacheBytesMax, gcEveryTicks,
                inboxCapacity, randomSeed);
    }

    public GroupOptions withLogCacheBytesMax(long bytes) {
        return new GroupOptions(groupId, self, dir, initialMembership, raft, wal, bytes, gcEveryTicks,
                inboxCapacity, randomSeed);
    }

    public GroupOptions withGcEveryTicks(int ticks) {
        return new GroupOptions(groupId, self, dir, initialMembership, raft, wal, logCacheBytesMax, ticks,
                inboxCapacity, randomSeed);
    }

    public Path walDir() {
        return dir.resolve("wal");
    }

    public Path metadataFile() {
        return dir.resolve("consensus-meta");
    }
}
