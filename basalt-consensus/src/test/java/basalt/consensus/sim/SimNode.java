package basalt.consensus.sim;

import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.Entry;
import basalt.consensus.core.HardState;
import basalt.consensus.core.Membership;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.consensus.core.RaftCore;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One simulated replica: a {@link RaftCore} with its in-memory log, its {@link SimDisk} and its state
 * machine, plus the simulated driver's bookkeeping (messages waiting for an fsync). A crash throws away
 * everything but the disk; a restart rebuilds the rest from it, as bootstrap does.
 */
final class SimNode {
    /** Messages that may leave only once the fsync covering write {@code sequence} completes. */
    record WaitingForSync(long sequence, List<Message> messages) {}

    final NodeId id;
    final SimDisk disk;
    boolean up = true;
    int incarnation;
    RaftCore core;
    SimLog log;
    KvStateMachine stateMachine;
    final ArrayDeque<WaitingForSync> waitingForSync = new ArrayDeque<>();
    /** Time at which the last scheduled fsync completes; fsyncs complete in order. */
    long lastSyncDoneAt;
    /** Client operations proposed here, by log index: resolved when that index is applied. */
    final Map<Long, Simulation.PendingClientOp> pendingByIndex = new TreeMap<>();
    /** For the check-quorum invariant: when this leader last heard an append answer from each voter. */
    final Map<NodeId, Long> lastHeardFrom = new TreeMap<>();
    long leaderSince = -1;
    /** For the check-quorum invariant: since when no majority of voters counts as heard, or -1. */
    long quorumLostSince = -1;
    long leaderTerm = -1;
    long lastCommitIndexSeen;

    SimNode(NodeId id, Membership bootstrap) {
        this.id = id;
        KvStateMachine.Snapshot empty = new KvStateMachine.Snapshot(Map.of(), OpId.ZERO, new ConfigAt(0, bootstrap));
        this.disk = new SimDisk(HardState.initial(bootstrap), empty);
    }

    /** Bootstrap: consensus metadata, then the WAL after the state machine's durable point, as on restart. */
    void start(java.util.function.Function<SimNode, RaftCore> coreFactory) {
        KvStateMachine.Snapshot snapshot = disk.stateMachineSnapshot;
        stateMachine = new KvStateMachine(snapshot);
        List<Entry> durable = List.copyOf(disk.wal);
        log = new SimLog(disk.walStart, disk.walStartChainHash, durable);
        // Entries at or below the snapshot are in the state machine already; the WAL may still hold some.
        long replayFrom = snapshot.lastIncluded().index();
        if (replayFrom > log.snapshotOpId().index()) {
            log.compactThrough(Math.min(replayFrom, log.lastIndex()));
        }
        core = coreFactory.apply(this);
        waitingForSync.clear();
        pendingByIndex.clear();
        lastHeardFrom.clear();
        leaderSince = -1;
        leaderTerm = -1;
        lastCommitIndexSeen = core.commitIndex();
        lastSyncDoneAt = 0;
        up = true;
    }

    long appliedIndex() {
        return stateMachine.lastApplied().index();
    }
}
