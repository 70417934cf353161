package basalt.consensus.core;

import basalt.consensus.core.Message.AppendRequest;
import basalt.consensus.core.Message.AppendResponse;
import basalt.consensus.core.Message.PreVoteRequest;
import basalt.consensus.core.Message.PreVoteResponse;
import basalt.consensus.core.Message.TimeoutNow;
import basalt.consensus.core.Message.VoteRequest;
import basalt.consensus.core.Message.VoteResponse;
import basalt.consensus.core.Role.Leader;
import basalt.consensus.quorum.MajorityConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The leader's side of the log (sections 3.5, 3.6.2, 4.1, 3.10): appending, sending to each peer by its
 * {@link Progress}, counting acknowledgements toward commit, check-quorum, membership changes and
 * leadership transfer.
 */
final class Replication {
    /** A pipeline whose match index has not moved for this many heartbeats is assumed to have lost messages. */
    private static final int STALLED_HEARTBEATS = 3;

    private Replication() {}

    /** Appends locally (durable later, reported by LogDurable) and sends to every peer at once. */
    static void appendAsLeader(RaftCore core, Leader leader, List<Entry> entries) {
        core.log.append(entries);
        core.ready.persist(entries);
        for (Entry entry : entries) {
            core.trackConfig(entry);
        }
        syncProgressWithMembership(core, leader);
        for (NodeId peer : leader.progress.keySet()) {
            maybeSendAppend(core, leader, peer);
        }
        // A single-voter group may commit on its own once the entries are durable (see onLogDurable).
    }

    /** Adds progress for members that joined and drops it for members that left (effective on append). */
    private static void syncProgressWithMembership(RaftCore core, Leader leader) {
        Membership membership = core.membership();
        leader.progress.keySet().removeIf(peer -> !membership.contains(peer));
        for (NodeId member : membership.members()) {
            if (!member.equals(core.self) && !leader.progress.containsKey(member)) {
                leader.progress.put(member, new Progress(core.log.lastIndex()));
            }
        }
    }

    static void leaderReceives(RaftCore core, Leader leader, Message message) {
        switch (message) {
            case AppendResponse response -> handleAppendResponse(core, leader, response);
            case VoteRequest request -> Election.handleVoteRequest(core, request); // refused: voted for self
            case PreVoteRequest request -> Election.handlePreVoteRequest(core, request); // refused: in lease
            case AppendRequest request -> throw new IllegalStateException(core.self + " leads term " + core.term
                    + " but received an append from " + request.from() + " in the same term");
            case VoteResponse response -> { }
            case PreVoteResponse response -> { }
            case TimeoutNow timeoutNow -> { }
        }
    }

    static void handleAppendResponse(RaftCore core, Leader leader, AppendResponse response) {
        Progress progress = leader.progress.get(response.from());
        if (progress == null) {
            return; // no longer a member
        }
        progress.recentlyActive = true;
        if (response.success()) {
            boolean moved = progress.acknowledge(response.matchIndex());
            if (progress.state == Progress.State.PROBE || progress.state == Progress.State.TABLET_COPY) {
                progress.becomeReplicate();
            }
            if (moved) {
                maybeCommit(core, leader);
                maybeSendTimeoutNow(core, leader, response.from());
            }
            maybeSendAppend(core, leader, response.from());
            return;
        }
        if (progress.state == Progress.State.PROBE && response.rejectedPrevIndex() != progress.nextIndex - 1) {
            // In PROBE only the answer to the current probe counts: a duplicate, or the answer to an earlier
            // probe, would move nextIndex back once more per copy (etcd's MaybeDecrTo, section 5.3).
            return;
        }
        if (response.rejectedPrevIndex() <= progress.matchIndex || progress.state == Progress.State.TABLET_COPY) {
            // Stale (it answers an append sent before a later success), or the peer still waits for its
            // tablet copy, which the heartbeat asks for again now and then.
            return;
        }
        // Back off using the hint: never below what the peer matched, never above what it holds.
        long hint = response.conflictTerm() == 0 ? response.lastIndex() + 1 : response.conflictFirstIndex();
        long next = Math.min(progress.nextIndex - 1, Math.min(hint, response.rejectedPrevIndex()));
        progress.nextIndex = Math.max(progress.matchIndex + 1, next);
        progress.becomeProbe();
        maybeSendAppend(core, leader, response.from());
    }

    /**
     * Sends what the peer's progress allows: one probe at a time in PROBE, a bounded pipeline in
     * REPLICATE, nothing while it waits for a tablet copy.
     */
    static void maybeSendAppend(RaftCore core, Leader leader, NodeId peer) {
        Progress progress = leader.progress.get(peer);
        RaftLog log = core.log;
        if (progress.state == Progress.State.TABLET_COPY) {
            return;
        }
        if (progress.nextIndex < log.firstIndex()) {
            startTabletCopy(core, progress, peer);
            return;
        }
        switch (progress.state) {
            case PROBE -> {
                if (!progress.probeSent) {
                    sendEntriesFrom(core, peer, progress.nextIndex);
                    progress.probeSent = true;
                }
            }
            case REPLICATE -> {
                while (progress.inflightLastIndexes.size() < core.config.maxInflightAppends()
                        && progress.nextIndex <= log.lastIndex()) {
                    long lastSent = sendEntriesFrom(core, peer, progress.nextIndex);
                    progress.inflightLastIndexes.addLast(lastSent);
                    progress.nextIndex = lastSent + 1;
                }
            }
            case TABLET_COPY -> { }
        }
    }

    /** Sends one append of entries from {@code fromIndex}, within the byte budget; returns its last index. */
    private static long sendEntriesFrom(RaftCore core, NodeId peer, long fromIndex) {
        RaftLog log = core.log;
        List<Entry> entries = fromIndex <= log.lastIndex()
                ? log.entries(fromIndex, log.lastIndex(), core.config.maxAppendBytes())
                : List.of();
        OpId prev = new OpId(log.term(fromIndex - 1), fromIndex - 1);
        core.ready.sendNow(new AppendRequest(core.self, peer, core.term, prev, entries, core.commitIndex));
        return prev.index() + entries.size();
    }

    private static void startTabletCopy(RaftCore core, Progress progress, NodeId peer) {
        progress.becomeTabletCopy();
        core.ready.needsTabletCopy(peer);
        core.event(Event.Kind.TABLET_COPY_NEEDED, peer + " needs a tablet copy: it is behind our first entry "
                + core.log.firstIndex());
    }

    /**
     * Commits the highest index a majority of voters holds durably, but only an entry of the current
     * term (section 3.6.2): entries of earlier terms commit indirectly, under it.
     */
    static void maybeCommit(RaftCore core, Leader leader) {
        Membership membership = core.membership();
        long[] acknowledged = new long[membership.voters().size()];
        int i = 0;
        for (NodeId voter : membership.voters()) {
            if (voter.equals(core.self)) {
                acknowledged[i++] = core.durableIndex;
            } else {
                Progress progress = leader.progress.get(voter);
                acknowledged[i++] = progress == null ? 0 : progress.matchIndex;
            }
        }
        long candidate = MajorityConfig.committedIndex(acknowledged);
        boolean ownTerm = core.log.term(candidate) == core.term
                || core.plantedBug == PlantedBug.COMMIT_PREVIOUS_TERM_BY_COUNTING;
        if (candidate <= core.commitIndex || !ownTerm) {
            return;
        }
        core.commitIndex = candidate;
        core.maybeAdvanceCommittedConfig();
        if (!core.committedConfig.membership().isVoter(core.self) && !core.hasPendingConfig()) {
            // Section 4.2.2: a leader removed from the group steps down once the removal commits.
            core.event(Event.Kind.STEPPED_DOWN, "stepped down: no longer a voter of " + core.committedConfig.membership());
            core.becomeFollower(core.term, Optional.empty());
        }
    }

    static void onLeaderTick(RaftCore core, Leader leader) {
        leader.heartbeatElapsedTicks++;
        leader.quorumCheckElapsedTicks++;
        if (leader.transferTarget.isPresent() && ++leader.transferElapsedTicks >= core.config.electionTimeoutTicks()) {
            core.event(Event.Kind.TRANSFER, "gave up transferring leadership to " + leader.transferTarget.get());
            leader.transferTarget = Optional.empty();
        }
        if (leader.quorumCheckElapsedTicks >= core.config.electionTimeoutTicks()) {
            leader.quorumCheckElapsedTicks = 0;
            if (!quorumRecentlyActive(core, leader) && core.config.checkQuorum()
                    && core.plantedBug != PlantedBug.NO_CHECK_QUORUM_STEP_DOWN) {
                core.event(Event.Kind.STEPPED_DOWN, "stepped down: no majority heard for an election timeout");
                core.becomeFollower(core.term, Optional.empty());
                return;
            }
            for (Progress progress : leader.progress.values()) {
                progress.recentlyActive = false;
            }
        }
        if (leader.heartbeatElapsedTicks >= core.config.heartbeatIntervalTicks()) {
            leader.heartbeatElapsedTicks = 0;
            for (Map.Entry<NodeId, Progress> entry : leader.progress.entrySet()) {
                heartbeat(core, leader, entry.getKey(), entry.getValue());
            }
        }
    }

    /**
     * A heartbeat is an append that checks a position the peer surely holds: it carries the commit
     * index, retries a probe that got no answer, and restarts a pipeline that stopped moving (a message
     * was lost) from the last acknowledged index.
     */
    private static void heartbeat(RaftCore core, Leader leader, NodeId peer, Progress progress) {
        switch (progress.state) {
            case PROBE -> {
                if (progress.probeSent) {
                    sendEmptyProbe(core, leader, peer, progress);
                } else {
                    maybeSendAppend(core, leader, peer);
                }
            }
            case REPLICATE -> {
                boolean outstanding = progress.nextIndex <= core.log.lastIndex() || !progress.inflightLastIndexes.isEmpty();
                boolean stalled = outstanding && progress.matchIndex == progress.matchIndexAtLastHeartbeat;
                progress.matchIndexAtLastHeartbeat = progress.matchIndex;
                if (stalled && ++progress.stalledHeartbeats >= STALLED_HEARTBEATS) {
                    progress.stalledHeartbeats = 0;
                    progress.nextIndex = progress.matchIndex + 1;
                    progress.becomeProbe();
                    sendEmptyProbe(core, leader, peer, progress);
                    return;
                }
                if (!stalled) {
                    progress.stalledHeartbeats = 0;
                }
                long matchIndex = Math.max(progress.matchIndex, core.log.firstIndex() - 1);
                OpId prev = new OpId(core.log.term(matchIndex), matchIndex);
                core.ready.sendNow(new AppendRequest(core.self, peer, core.term, prev, List.of(),
                        Math.min(core.commitIndex, progress.matchIndex)));
            }
            case TABLET_COPY -> {
                // Ask where the peer stands now: once the copy is installed it answers from a position
                // our log covers and replication resumes. Repeat the copy request now and then, in case
                // the copy failed.
                OpId snapshot = core.log.snapshotOpId();
                core.ready.sendNow(new AppendRequest(core.self, peer, core.term, snapshot, List.of(), 0));
                if (++progress.ticksInTabletCopy >= core.config.electionTimeoutTicks()) {
                    progress.ticksInTabletCopy = 0;
                    core.ready.needsTabletCopy(peer);
                }
            }
        }
    }

    /**
     * Asks again where the peer stands, without entries: the appends already sent may only be slow, and
     * sending their entries again would exceed the in-flight bound (at most one probe's or
     * maxInflightAppends' worth of entries unanswered). The answer moves the peer on as a probe's would.
     */
    private static void sendEmptyProbe(RaftCore core, Leader leader, NodeId peer, Progress progress) {
        if (progress.nextIndex < core.log.firstIndex()) {
            maybeSendAppend(core, leader, peer);
            return;
        }
        long prevIndex = progress.nextIndex - 1;
        core.ready.sendNow(new AppendRequest(core.self, peer, core.term, new OpId(core.log.term(prevIndex), prevIndex),
                List.of(), core.commitIndex));
        progress.probeSent = true;
    }

    private static boolean quorumRecentlyActive(RaftCore core, Leader leader) {
        Membership membership = core.membership();
        int active = 0;
        for (NodeId voter : membership.voters()) {
            if (voter.equals(core.self)) {
                active++;
            } else {
                Progress progress = leader.progress.get(voter);
                if (progress != null && progress.recentlyActive) {
                    active++;
                }
            }
        }
        return MajorityConfig.isMajority(active, membership.voters().size());
    }

    /**
     * Why a membership change must wait, if it must: one change at a time (the previous one committed),
     * and only once this leader committed an entry of its own term (section 4.1's fix for the bug found
     * in single-server changes), and promotion only for a learner that has caught up.
     */
    static Optional<String> refuseMembershipChange(RaftCore core, Leader leader, MembershipChange change) {
        if (!core.isLeaderReady()) {
            return Optional.of("the leader has not yet committed an entry of its term");
        }
        if (core.hasPendingConfig()) {
            return Optional.of("a membership change is still uncommitted");
        }
        if (leader.transferTarget.isPresent()) {
            return Optional.of("leadership transfer in progress");
        }
        Membership current = core.membership();
        switch (change) {
            case MembershipChange.AddLearner add -> {
                if (current.contains(add.node())) {
                    return Optional.of(add.node() + " is already a member");
                }
            }
            case MembershipChange.PromoteLearner promote -> {
                if (!current.isLearner(promote.node())) {
                    return Optional.of(promote.node() + " is not a learner");
                }
                Progress progress = leader.progress.get(promote.node());
                if (progress == null || progress.matchIndex < core.commitIndex) {
                    return Optional.of(promote.node() + " has not caught up (match "
                            + (progress == null ? 0 : progress.matchIndex) + ", commit " + core.commitIndex + ")");
                }
            }
            case MembershipChange.RemoveMember remove -> {
                if (!current.contains(remove.node())) {
                    return Optional.of(remove.node() + " is not a member");
                }
                if (current.isVoter(remove.node()) && current.voters().size() == 1) {
                    return Optional.of("cannot remove the last voter");
                }
            }
        }
        return Optional.empty();
    }

    static void startTransfer(RaftCore core, Leader leader, NodeId target) {
        if (target.equals(core.self) || !core.membership().isVoter(target)) {
            core.event(Event.Kind.TRANSFER, "cannot transfer leadership to " + target + ": not another voter");
            return;
        }
        leader.transferTarget = Optional.of(target);
        leader.transferElapsedTicks = 0;
        leader.timeoutNowSent = false;
        core.event(Event.Kind.TRANSFER, "transferring leadership to " + target);
        maybeSendTimeoutNow(core, leader, target);
        if (!leader.timeoutNowSent) {
            maybeSendAppend(core, leader, target);
        }
    }

    /** Tells the transfer target to campaign once it holds our whole log (section 3.10). */
    private static void maybeSendTimeoutNow(RaftCore core, Leader leader, NodeId peer) {
        if (leader.transferTarget.isEmpty() || !leader.transferTarget.get().equals(peer) || leader.timeoutNowSent) {
            return;
        }
        if (leader.progress.get(peer).matchIndex >= core.log.lastIndex()) {
            leader.timeoutNowSent = true;
            core.ready.sendNow(new TimeoutNow(core.self, peer, core.term));
        }
    }
}
