package basalt.consensus.core;

import basalt.common.check.Check;
import basalt.consensus.core.Message.AppendRequest;
import basalt.consensus.core.Message.AppendResponse;
import basalt.consensus.core.Message.PreVoteRequest;
import basalt.consensus.core.Message.PreVoteResponse;
import basalt.consensus.core.Message.TimeoutNow;
import basalt.consensus.core.Message.VoteRequest;
import basalt.consensus.core.Message.VoteResponse;
import basalt.consensus.core.Role.Candidate;
import basalt.consensus.core.Role.Follower;
import basalt.consensus.core.Role.Leader;
import basalt.consensus.core.Role.PreCandidate;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * One replica's Raft state machine, pure: it takes an {@link Input}, changes its state, and returns a
 * {@link Ready} saying what the driver must persist, send and apply. No threads, clock, I/O or randomness
 * of its own. All role transitions happen here (the {@code becomeX} methods); protocol rules live in
 * {@link Election} (votes), {@link Replication} (the leader's side of appends) and {@link LogMatching}
 * (the follower's side).
 *
 * <p>Section numbers refer to Diego Ongaro's thesis, "Consensus: Bridging Theory and Practice".
 */
public final class RaftCore {
    final NodeId self;
    final RaftConfig config;
    final RaftLog log;
    private final RandomGenerator random;
    final PlantedBug plantedBug;
    final Ready.Builder ready = new Ready.Builder();

    long term;
    Optional<NodeId> votedFor;
    Role role;
    long commitIndex;
    /** The highest index this replica's own WAL has made durable; a leader counts itself only up to it. */
    long durableIndex;

    /** The newest committed membership; persisted in the hard state. */
    ConfigAt committedConfig;
    /** CONFIG entries in the log after {@link #committedConfig}, by index: dropped again on truncation. */
    final TreeMap<Long, Membership> pendingConfigs = new TreeMap<>();

    public RaftCore(NodeId self, RaftConfig config, RaftLog log, HardState persisted, long appliedIndex,
                    RandomGenerator random) {
        this(self, config, log, persisted, appliedIndex, random, PlantedBug.NONE);
    }

    /** Only tests in this package may plant a bug; production code has no way to reach this constructor. */
    RaftCore(NodeId self, RaftConfig config, RaftLog log, HardState persisted, long appliedIndex,
             RandomGenerator random, PlantedBug plantedBug) {
        this.self = self;
        this.config = config;
        this.log = log;
        this.random = random;
        this.plantedBug = plantedBug;
        this.term = persisted.term();
        this.votedFor = persisted.votedFor();
        this.committedConfig = persisted.committedConfig();
        long snapshotIndex = log.snapshotOpId().index();
        this.commitIndex = Math.min(Math.max(appliedIndex, snapshotIndex), log.lastIndex());
        this.durableIndex = log.lastIndex();
        recoverPendingConfigs();
        this.role = new Follower(Optional.empty(), randomizedElectionTimeout());
        checkInvariants();
    }

    /** Scans the log after the committed membership for CONFIG entries, which are in force once appended. */
    private void recoverPendingConfigs() {
        long from = Math.max(committedConfig.index() + 1, log.firstIndex());
        long last = log.lastIndex();
        while (from <= last) {
            List<Entry> batch = log.entries(from, last, 1 << 20);
            for (Entry entry : batch) {
                trackConfig(entry);
            }
            from = batch.get(batch.size() - 1).index() + 1;
        }
        maybeAdvanceCommittedConfig();
    }

    /** Takes one input and returns what the driver must do about it. */
    public Ready step(Input input) {
        switch (input) {
            case Input.Tick tick -> onTick();
            case Input.Receive(Message message) -> onMessage(message);
            case Input.Propose(List<ByteString> payloads) -> onPropose(payloads);
            case Input.LogDurable(OpId upTo) -> onLogDurable(upTo);
            case Input.ChangeMembership(MembershipChange change) -> onChangeMembership(change);
            case Input.TransferLeadership(NodeId target) -> onTransferLeadership(target);
            case Input.LeadFirstTerm lead -> onLeadFirstTerm();
            case Input.TabletCopyInstalled(OpId lastIncluded, ConfigAt copied) ->
                    onTabletCopyInstalled(lastIncluded, copied);
        }
        checkInvariants();
        return ready.drain(hardState(), applyUpTo());
    }

    // ---------------------------------------------------------------- inputs

    private void onLeadFirstTerm() {
        boolean preElected = role instanceof Follower && term == 1 && votedFor.equals(Optional.of(self))
                && log.lastIndex() == 0 && isVoter();
        if (preElected) {
            becomeLeader();
        }
    }

    private void onTick() {
        switch (role) {
            case Follower follower -> {
                follower.ticksSinceLeader++;
                follower.ticksElapsed++;
                if (follower.ticksElapsed >= follower.electionTimeoutTicks && isVoter()) {
                    campaign();
                }
            }
            case PreCandidate pre -> {
                pre.ticksElapsed++;
                if (pre.ticksElapsed >= pre.electionTimeoutTicks) {
                    campaign();
                }
            }
            case Candidate candidate -> {
                candidate.ticksElapsed++;
                if (candidate.ticksElapsed >= candidate.electionTimeoutTicks) {
                    campaign();
                }
            }
            case Leader leader -> Replication.onLeaderTick(this, leader);
        }
    }

    private void onMessage(Message message) {
        Check.arg(message.to().equals(self), "message for %s delivered to %s", message.to(), self);
        // Pre-votes never change terms: the request carries the sender's unchanged term (section 9.6).
        if (message instanceof PreVoteRequest request) {
            Election.handlePreVoteRequest(this, request);
            return;
        }
        if (message.term() > term) {
            if (message instanceof VoteRequest request && !request.leadershipTransfer() && inLease()) {
                // Leader stickiness (section 4.2.3): while we hear a live leader, a vote request from a
                // replica that could not hear it is ignored, so it cannot depose a healthy leader.
                event(Event.Kind.VOTE_REFUSED, "ignored a vote request from " + message.from()
                        + " for term " + message.term() + ": a leader is live");
                return;
            }
            Optional<NodeId> leader = message instanceof AppendRequest || message instanceof TimeoutNow
                    ? Optional.of(message.from()) : Optional.empty();
            becomeFollower(message.term(), leader);
        } else if (message.term() < term && !(message instanceof PreVoteResponse)) {
            // A pre-vote answer from a voter behind us still counts: it granted our proposed term.
            answerStaleTerm(message);
            return;
        }
        switch (role) {
            case Follower follower -> followerReceives(follower, message);
            case PreCandidate pre -> Election.preCandidateReceives(this, pre, message);
            case Candidate candidate -> Election.candidateReceives(this, candidate, message);
            case Leader leader -> Replication.leaderReceives(this, leader, message);
        }
    }

    private void followerReceives(Follower follower, Message message) {
        switch (message) {
            case AppendRequest request -> LogMatching.handleAppendRequest(this, follower, request);
            case VoteRequest request -> Election.handleVoteRequest(this, request);
            case TimeoutNow timeoutNow -> {
                if (isVoter()) {
                    event(Event.Kind.TRANSFER, "was asked by " + timeoutNow.from() + " to take over");
                    becomeCandidate(true);
                }
            }
            case PreVoteRequest request -> Election.handlePreVoteRequest(this, request);
            case AppendResponse response -> { }
            case VoteResponse response -> { }
            case PreVoteResponse response -> { }
        }
    }

    /** A message from an older term: tell the sender our term when that lets it step down or catch up. */
    private void answerStaleTerm(Message message) {
        switch (message) {
            case AppendRequest request -> ready.sendNow(new AppendResponse(self, request.from(), term, false, 0,
                    request.prev().index(), log.lastIndex(), 0, 0));
            case VoteRequest request -> ready.sendNow(new VoteResponse(self, request.from(), term, false));
            case PreVoteResponse response -> { }
            case AppendResponse response -> { }
            case VoteResponse response -> { }
            case TimeoutNow timeoutNow -> { }
            case PreVoteRequest request -> { }
        }
    }

    private void onPropose(List<ByteString> payloads) {
        Check.arg(!payloads.isEmpty(), "a proposal needs at least one payload");
        if (!(role instanceof Leader leader)) {
            ready.proposal(ProposalResult.refused(leaderHint(), "not the leader"));
            return;
        }
        if (leader.transferTarget.isPresent()) {
            ready.proposal(ProposalResult.refused(Optional.empty(), "leadership transfer in progress"));
            return;
        }
        List<Entry> entries = new ArrayList<>(payloads.size());
        long index = log.lastIndex();
        for (ByteString payload : payloads) {
            entries.add(new Entry(new OpId(term, ++index), EntryType.NORMAL, payload));
        }
        Replication.appendAsLeader(this, leader, entries);
        ready.proposal(ProposalResult.accepted(entries.get(0).opId(), entries.size()));
    }

    private void onLogDurable(OpId upTo) {
        // A completion for entries that were since replaced (a follower truncated them) says nothing
        // about the entries now at that index, so it only counts when the OpId still matches.
        if (upTo.index() <= log.lastIndex() && log.term(upTo.index()) == upTo.term()
                && upTo.index() > durableIndex) {
            durableIndex = upTo.index();
            if (role instanceof Leader leader) {
                Replication.maybeCommit(this, leader);
            }
        }
    }

    private void onChangeMembership(MembershipChange change) {
        if (!(role instanceof Leader leader)) {
            ready.proposal(ProposalResult.refused(leaderHint(), "not the leader"));
            return;
        }
        Optional<String> refusal = Replication.refuseMembershipChange(this, leader, change);
        if (refusal.isPresent()) {
            event(Event.Kind.PROPOSAL_REFUSED, "refused " + change + ": " + refusal.get());
            ready.proposal(ProposalResult.refused(Optional.of(self), refusal.get()));
            return;
        }
        Membership next = change.applyTo(membership());
        Entry entry = new Entry(new OpId(term, log.lastIndex() + 1), EntryType.CONFIG, next.encode());
        Replication.appendAsLeader(this, leader, List.of(entry));
        ready.proposal(ProposalResult.accepted(entry.opId(), 1));
    }

    private void onTransferLeadership(NodeId target) {
        if (!(role instanceof Leader leader)) {
            event(Event.Kind.TRANSFER, "cannot transfer leadership: not the leader");
            return;
        }
        Replication.startTransfer(this, leader, target);
    }

    /**
     * Whether a tablet copy ending at {@code lastIncluded} may replace this replica's log: only when it
     * moves us forward past our commit index and our log does not already hold that entry. Entries after
     * it that we hold may have been acknowledged and counted toward commit, so they must not be thrown
     * away; the leader replicates to us normally from there. The driver asks before it installs anything.
     */
    public boolean acceptsTabletCopy(OpId lastIncluded) {
        boolean alreadyHeld = lastIncluded.index() <= log.lastIndex()
                && log.term(lastIncluded.index()) == lastIncluded.term();
        return lastIncluded.index() > commitIndex && !alreadyHeld;
    }

    /**
     * The state machine and the storage under {@link #log} already start after {@code lastIncluded}: the
     * driver asked {@link #acceptsTabletCopy} before it touched anything, then installed the copy and reset
     * the WAL. So the log must not be read here before {@code log.resetTo}: entries it does not hold in
     * memory are gone from disk (a follower restarted before the copy holds none in memory, and reading the
     * term of its last entry found -1 and stopped the replica). Only the part of the rule that needs no
     * entries is checked again.
     */
    private void onTabletCopyInstalled(OpId lastIncluded, ConfigAt copied) {
        Check.state(lastIncluded.index() > commitIndex, "%s: a tablet copy up to %s was installed over a log"
                + " committed up to %s (last index %s)", self, lastIncluded, commitIndex, log.lastIndex());
        log.resetTo(lastIncluded);
        commitIndex = lastIncluded.index();
        durableIndex = lastIncluded.index();
        pendingConfigs.clear();
        committedConfig = copied;
        ready.hardStateChanged();
        event(Event.Kind.MEMBERSHIP_CHANGED, "installed a tablet copy up to " + lastIncluded
                + " with membership " + copied.membership());
    }

    // ---------------------------------------------------------------- transitions

    /** Moves to follower at {@code newTerm}; a higher term forgets the vote (section 5.1). */
    void becomeFollower(long newTerm, Optional<NodeId> leader) {
        Check.state(newTerm >= term, "term may not go back from %s to %s", term, newTerm);
        String before = role == null ? "none" : role.name();
        if (newTerm > term) {
            term = newTerm;
            votedFor = Optional.empty();
            ready.hardStateChanged();
        }
        role = new Follower(leader, randomizedElectionTimeout());
        event(Event.Kind.ROLE_CHANGED, "became follower at term " + term + " (was " + before + ")"
                + leader.map(l -> ", leader " + l).orElse(""));
    }

    /** Starts an election: with pre-vote first when configured, else a real vote at once. */
    void campaign() {
        if (config.preVote()) {
            becomePreCandidate();
        } else {
            becomeCandidate(false);
        }
    }

    private void becomePreCandidate() {
        VoteTally tally = new VoteTally(membership().voters());
        role = new PreCandidate(tally, randomizedElectionTimeout());
        event(Event.Kind.ROLE_CHANGED, "became pre-candidate at term " + term);
        tally.record(self, true);
        if (tally.outcome() == VoteTally.Outcome.WON) {
            becomeCandidate(false);
            return;
        }
        OpId last = log.lastOpId();
        for (NodeId voter : membership().voters()) {
            if (!voter.equals(self)) {
                ready.sendNow(new PreVoteRequest(self, voter, term, term + 1, last));
            }
        }
    }

    /** Raises the term and votes for itself; requests leave only once that vote is durable (section 5.2). */
    void becomeCandidate(boolean leadershipTransfer) {
        term++;
        votedFor = Optional.of(self);
        ready.hardStateChanged();
        VoteTally tally = new VoteTally(membership().voters());
        role = new Candidate(tally, randomizedElectionTimeout());
        event(Event.Kind.ROLE_CHANGED, "became candidate at term " + term);
        tally.record(self, true);
        if (tally.outcome() == VoteTally.Outcome.WON) {
            becomeLeader();
            return;
        }
        OpId last = log.lastOpId();
        for (NodeId voter : membership().voters()) {
            if (!voter.equals(self)) {
                ready.sendAfterDurable(new VoteRequest(self, voter, term, last, leadershipTransfer));
            }
        }
    }

    /** Takes over: progress for every peer, and a no-op that commits the log of earlier terms (5.4.2). */
    void becomeLeader() {
        Check.state(votedFor.equals(Optional.of(self)), "%s becomes leader of term %s without its own vote",
                self, term);
        long noOpIndex = log.lastIndex() + 1;
        Leader leader = new Leader(noOpIndex);
        for (NodeId member : membership().members()) {
            if (!member.equals(self)) {
                leader.progress.put(member, new Progress(noOpIndex));
            }
        }
        role = leader;
        event(Event.Kind.ROLE_CHANGED, "became leader at term " + term);
        Replication.appendAsLeader(this, leader,
                List.of(new Entry(new OpId(term, noOpIndex), EntryType.NO_OP, ByteString.EMPTY)));
    }

    // ---------------------------------------------------------------- log and membership bookkeeping

    /** Records the membership carried by a CONFIG entry just appended; it is in force at once (4.1). */
    void trackConfig(Entry entry) {
        if (entry.type() == EntryType.CONFIG && entry.index() > committedConfig.index()) {
            Membership next = Membership.decode(entry.payload());
            pendingConfigs.put(entry.index(), next);
            event(Event.Kind.MEMBERSHIP_CHANGED, "now uses membership " + next + " (index " + entry.index() + ")");
        }
    }

    /** Forgets CONFIG entries at or after {@code fromIndex}: the log suffix holding them was replaced. */
    void dropConfigsFrom(long fromIndex) {
        pendingConfigs.tailMap(fromIndex, true).clear();
    }

    /** Moves committed CONFIG entries from pending to the persisted committed membership. */
    void maybeAdvanceCommittedConfig() {
        Map.Entry<Long, Membership> newest = pendingConfigs.floorEntry(commitIndex);
        if (newest != null) {
            committedConfig = new ConfigAt(newest.getKey(), newest.getValue());
            pendingConfigs.headMap(newest.getKey(), true).clear();
            ready.hardStateChanged();
        }
    }

    /** The membership in force: the newest one in the log, committed or not. */
    public Membership membership() {
        return pendingConfigs.isEmpty() ? committedConfig.membership() : pendingConfigs.lastEntry().getValue();
    }

    boolean hasPendingConfig() {
        return !pendingConfigs.isEmpty();
    }

    boolean isVoter() {
        return membership().isVoter(self);
    }

    /** Whether this replica recently heard a live leader (or is one), for leader stickiness. */
    boolean inLease() {
        if (!config.checkQuorum()) {
            return false;
        }
        return switch (role) {
            case Follower follower -> follower.leader.isPresent()
                    && follower.ticksSinceLeader < config.electionTimeoutTicks();
            case Leader leader -> true;
            case PreCandidate pre -> false;
            case Candidate candidate -> false;
        };
    }

    /**
     * The election timeout, in {@code [base, 2 * base)} ticks. The range is cut into one slot per voter
     * and each voter draws within its own slot, by its rank in the sorted voter list. Two survivors of a
     * dead leader therefore never time out in the same tick and split the vote (what Kudu's followers
     * often do, since their purely random timeouts start within a millisecond of each other); the lowest
     * ranked live voter with an up-to-date log wins, one slot later at worst per voter ahead of it.
     */
    int randomizedElectionTimeout() {
        int base = config.electionTimeoutTicks();
        java.util.SortedSet<NodeId> voters = membership().voters();
        if (term == 0 && log.lastIndex() == 0 && !voters.isEmpty() && voters.first().equals(self)) {
            // A brand-new group has no leader to wait for: its first-ranked voter campaigns at the next
            // tick, and again every tick while its peers' replicas are still being created (pre-votes do
            // not raise the term, so retrying costs nothing). A new tablet is usable in tens of
            // milliseconds instead of a whole election timeout. A restarted replica has a log or a term.
            return 1;
        }
        int slots = Math.max(1, Math.min(voters.size(), base));
        int slotTicks = base / slots;
        int rank = voters.contains(self) ? voters.headSet(self).size() : 0;
        return base + Math.min(rank, slots - 1) * slotTicks + random.nextInt(slotTicks);
    }

    void event(Event.Kind kind, String text) {
        ready.event(new Event(self, kind, term, text));
    }

    private long applyUpTo() {
        return Math.min(commitIndex, durableIndex);
    }

    // ---------------------------------------------------------------- accessors

    public NodeId self() {
        return self;
    }

    public long term() {
        return term;
    }

    public Optional<NodeId> votedFor() {
        return votedFor;
    }

    public Role role() {
        return role;
    }

    public boolean isLeader() {
        return role instanceof Leader;
    }

    public long commitIndex() {
        return commitIndex;
    }

    public long durableIndex() {
        return durableIndex;
    }

    public RaftLog log() {
        return log;
    }

    public RaftConfig config() {
        return config;
    }

    public ConfigAt committedConfig() {
        return committedConfig;
    }

    public HardState hardState() {
        return new HardState(term, votedFor, committedConfig);
    }

    /** The leader as far as this replica knows: itself when leading, the sender of the last append else. */
    public Optional<NodeId> leaderHint() {
        return switch (role) {
            case Leader leader -> Optional.of(self);
            case Follower follower -> follower.leader;
            case PreCandidate pre -> Optional.empty();
            case Candidate candidate -> Optional.empty();
        };
    }

    /**
     * Whether this leader has committed an entry of its own term, so its view of the commit index is
     * current; a master serves reads and DDL only from then on ("leader ready").
     */
    public boolean isLeaderReady() {
        return role instanceof Leader leader && commitIndex >= leader.firstIndexOfTerm;
    }

    /** The index of this leader's no-op (the first entry of its term), or -1 when not leading. */
    public long firstIndexOfTerm() {
        return role instanceof Leader leader ? leader.firstIndexOfTerm : -1;
    }

    // ---------------------------------------------------------------- checks

    /** Cheap invariants, after every step (paired with the simulator's global invariants). */
    private void checkInvariants() {
        long last = log.lastIndex();
        Check.state(commitIndex <= last, "%s: commit %s beyond last index %s", self, commitIndex, last);
        Check.state(durableIndex <= last, "%s: durable %s beyond last index %s", self, durableIndex, last);
        Check.state(commitIndex >= log.snapshotOpId().index(), "%s: commit %s below snapshot %s",
                self, commitIndex, log.snapshotOpId());
        if (role instanceof Leader) {
            Check.state(votedFor.equals(Optional.of(self)), "%s leads term %s without its own vote", self, term);
        }
    }

    @Override
    public String toString() {
        return self + "[" + role.name() + " term=" + term + " commit=" + commitIndex + " last=" + log.lastOpId() + "]";
    }
}
