package basalt.consensus.core;

import static basalt.consensus.core.Cores.N1;
import static basalt.consensus.core.Cores.N2;
import static basalt.consensus.core.Cores.N3;
import static basalt.consensus.core.Cores.THREE;
import static basalt.consensus.core.Cores.receive;
import static basalt.consensus.core.Cores.sent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.Message.AppendRequest;
import basalt.consensus.core.Message.AppendResponse;
import basalt.consensus.core.Message.PreVoteRequest;
import basalt.consensus.core.Message.PreVoteResponse;
import basalt.consensus.core.Message.TimeoutNow;
import basalt.consensus.core.Message.VoteRequest;
import basalt.consensus.core.Message.VoteResponse;
import basalt.consensus.core.Role.Candidate;
import basalt.consensus.core.Role.Follower;
import basalt.consensus.core.Role.PreCandidate;
import basalt.consensus.quorum.MajorityConfig;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Goal: pin the rules that PIT showed no test held: exact timeout boundaries, the edges of log matching,
 * tablet-copy acceptance, membership recovery and truncation, and the checks that reject bad input.
 * Method: one rule per test, each driving a core built by {@link Cores} through its inputs only. The
 * mutants each test kills are listed in docs/testing.md.
 */
class MutationGapsTest {
    private static final RaftConfig NO_LEASE = new RaftConfig(10, 1, 1 << 20, 64, true, false);
    private static final RaftConfig NO_PRE_VOTE = new RaftConfig(10, 1, 1 << 20, 64, false, true);
    private static final NodeId N4 = NodeId.of("n4");
    private static final Membership FOUR = Membership.ofVoters(N1, N2, N3, N4);

    // ---------------------------------------------------------------- timeouts (section 3.4)

    @Test
    void followerCampaignsExactlyAtItsRandomizedTimeout() {
        RaftCore core = Cores.follower(1, 1);
        int timeout = ((Follower) core.role()).electionTimeoutTicks;
        tick(core, timeout - 1);
        assertThat(core.role()).isInstanceOf(Follower.class);
        tick(core, 1);
        assertThat(core.role()).isInstanceOf(PreCandidate.class);
    }

    @Test
    void preCandidateStartsAgainExactlyAtItsTimeout() {
        RaftCore core = Cores.follower(1, 1);
        tickUntil(core, PreCandidate.class);
        PreCandidate first = (PreCandidate) core.role();
        tick(core, first.electionTimeoutTicks - 1);
        assertThat(core.role()).isSameAs(first);
        tick(core, 1);
        assertThat(core.role()).isInstanceOf(PreCandidate.class).isNotSameAs(first);
        assertThat(core.term()).as("pre-vote does not raise the term").isEqualTo(1);
    }

    @Test
    void candidateRaisesTheTermExactlyAtItsTimeout() {
        RaftCore core = Cores.follower(NO_PRE_VOTE, 1, Optional.empty(), 0, 1);
        tickUntil(core, Candidate.class);
        assertThat(core.term()).isEqualTo(2);
        Candidate candidate = (Candidate) core.role();
        tick(core, candidate.electionTimeoutTicks - 1);
        assertThat(core.term()).isEqualTo(2);
        tick(core, 1);
        assertThat(core.term()).isEqualTo(3);
        assertThat(core.role()).isInstanceOf(Candidate.class);
    }

    // Reference: section 4.2.3: the lease lasts exactly electionTimeoutTicks after the leader was heard.
    @Test
    void leaseEndsExactlyOneElectionTimeoutAfterTheLeaderWasHeard() {
        RaftCore core = Cores.follower(1, 1);
        core.step(receive(Cores.append(1, new OpId(1, 1), List.of(), 0)));
        int timeout = ((Follower) core.role()).electionTimeoutTicks;
        assertThat(timeout).as("this seed draws a timeout above the base").isGreaterThan(CONFIG_TIMEOUT);
        tick(core, CONFIG_TIMEOUT);
        core.step(receive(new VoteRequest(N3, N1, 2, new OpId(1, 1), false)));
        assertThat(core.term()).as("no longer in lease: the vote request is heard").isEqualTo(2);
    }

    private static final int CONFIG_TIMEOUT = Cores.CONFIG.electionTimeoutTicks();

    @Test
    void leaderChecksQuorumExactlyEveryElectionTimeout() {
        RaftCore core = Cores.leader(Cores.CONFIG, 0);
        tick(core, CONFIG_TIMEOUT - 1);
        assertThat(core.isLeader()).isTrue();
        tick(core, 1);
        assertThat(core.isLeader()).as("no peer answered for a whole election timeout").isFalse();
    }

    // ---------------------------------------------------------------- votes and pre-votes

    @Test
    void preVoteForTheCurrentTermIsRefused() {
        RaftCore core = Cores.follower(3, 1);
        Ready ready = core.step(receive(new PreVoteRequest(N2, N1, 2, 3, new OpId(1, 1))));
        assertThat(sent(ready, PreVoteResponse.class)).singleElement()
                .satisfies(response -> assertThat(response.granted()).isFalse());
    }

    @Test
    void grantingAVoteRestartsTheFollowersElectionTimer() {
        RaftCore core = Cores.follower(2, 1);
        tick(core, 5);
        Ready ready = core.step(receive(new VoteRequest(N3, N1, 2, new OpId(1, 1), false)));
        assertThat(sent(ready, VoteResponse.class)).singleElement()
                .satisfies(response -> assertThat(response.granted()).isTrue());
        assertThat(((Follower) core.role()).ticksElapsed).isZero();
    }

    @Test
    void refusingAVoteIsReported() {
        RaftCore core = Cores.follower(Cores.CONFIG, 2, Optional.of(N2), 0, 1);
        Ready ready = core.step(receive(new VoteRequest(N3, N1, 2, new OpId(1, 1), false)));
        assertThat(sent(ready, VoteResponse.class)).singleElement()
                .satisfies(response -> assertThat(response.granted()).isFalse());
        assertThat(ready.events()).extracting(Event::kind).contains(Event.Kind.VOTE_REFUSED);
    }

    // Reference: section 3.4: a candidate (or pre-candidate) that hears a leader of its term follows it.
    @Test
    void preCandidateFollowsALeaderOfItsTermAndTakesItsAppend() {
        RaftCore core = Cores.follower(1, 1);
        tickUntil(core, PreCandidate.class);
        Ready ready = core.step(receive(Cores.append(1, new OpId(1, 1), Cores.entries(1, 1).subList(1, 2), 0)));
        assertThat(core.role()).isInstanceOf(Follower.class);
        assertThat(core.leaderHint()).contains(N2);
        assertThat(core.log().lastIndex()).isEqualTo(2);
        assertThat(Cores.onlyAppendResponse(ready).matchIndex()).isEqualTo(2);
    }

    @Test
    void candidateFollowsALeaderOfItsTermAndTakesItsAppend() {
        RaftCore core = Cores.follower(NO_PRE_VOTE, 1, Optional.empty(), 0, 1);
        tickUntil(core, Candidate.class);
        Entry entry = new Entry(new OpId(2, 2), EntryType.NORMAL, ByteString.copyFromUtf8("x"));
        core.step(receive(Cores.append(2, new OpId(1, 1), List.of(entry), 0)));
        assertThat(core.role()).isInstanceOf(Follower.class);
        assertThat(core.log().lastOpId()).isEqualTo(new OpId(2, 2));
    }

    @Test
    void candidateRefusesAnotherCandidateOfItsTerm() {
        RaftCore core = Cores.follower(NO_PRE_VOTE, 1, Optional.empty(), 0, 1);
        tickUntil(core, Candidate.class);
        Ready ready = core.step(receive(new VoteRequest(N3, N1, 2, new OpId(1, 1), false)));
        assertThat(sent(ready, VoteResponse.class)).singleElement()
                .satisfies(response -> assertThat(response.granted()).isFalse());
    }

    @Test
    void preCandidateMayStillVoteInItsTermAndObeysTimeoutNow() {
        RaftCore core = Cores.follower(1, 1);
        tickUntil(core, PreCandidate.class);
        Ready ready = core.step(receive(new VoteRequest(N3, N1, 1, new OpId(1, 1), false)));
        assertThat(sent(ready, VoteResponse.class)).singleElement()
                .satisfies(response -> assertThat(response.granted()).isTrue());

        RaftCore other = Cores.follower(1, 1);
        tickUntil(other, PreCandidate.class);
        other.step(receive(new TimeoutNow(N2, N1, 1)));
        assertThat(other.role()).isInstanceOf(Candidate.class);
        assertThat(other.term()).isEqualTo(2);
    }

    @Test
    void leaderRefusesAVoteRequestOfItsOwnTerm() {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        Ready ready = core.step(receive(new VoteRequest(N2, N1, 1, new OpId(1, 1), false)));
        assertThat(sent(ready, VoteResponse.class)).singleElement()
                .satisfies(response -> assertThat(response.granted()).isFalse());
        assertThat(core.isLeader()).isTrue();
    }

    @Test
    void singleVoterElectsItselfAndMayNotRemoveItself() {
        Membership alone = Membership.ofVoters(N1);
        RaftCore core = new RaftCore(N1, Cores.CONFIG, new MemoryRaftLog(), HardState.initial(alone), 0,
                new SplittableRandom(1));
        tick(core, 2 * CONFIG_TIMEOUT);
        assertThat(core.isLeader()).isTrue();
        core.step(new Input.LogDurable(core.log().lastOpId()));
        assertThat(core.isLeaderReady()).isTrue();
        Ready ready = core.step(new Input.ChangeMembership(new MembershipChange.RemoveMember(N1)));
        assertThat(ready.proposal()).hasValueSatisfying(
                result -> assertThat(result.refusal()).isEqualTo("cannot remove the last voter"));
    }

    // ---------------------------------------------------------------- log matching (section 5.3)

    @Test
    void staleAppendIsAnsweredWithOurTerm() {
        RaftCore core = Cores.follower(3, 1);
        Ready ready = core.step(receive(Cores.append(2, new OpId(1, 1), List.of(), 0)));
        AppendResponse response = Cores.onlyAppendResponse(ready);
        assertThat(response.success()).isFalse();
        assertThat(response.term()).isEqualTo(3);
    }

    @Test
    void entriesStraddlingTheCommitIndexAreAppendedAfterIt() {
        RaftCore core = Cores.follower(Cores.CONFIG, 1, Optional.empty(), 2, 1, 1, 1);
        Ready ready = core.step(receive(Cores.append(1, new OpId(1, 1), Cores.entries(1, 1, 1, 1).subList(1, 4), 2)));
        assertThat(Cores.onlyAppendResponse(ready).matchIndex()).isEqualTo(4);
        assertThat(core.log().lastIndex()).isEqualTo(4);

        RaftCore shorter = Cores.follower(Cores.CONFIG, 1, Optional.empty(), 2, 1, 1);
        shorter.step(receive(Cores.append(1, new OpId(1, 1), Cores.entries(1, 1, 1).subList(1, 3), 2)));
        assertThat(shorter.log().lastIndex()).as("prev moved up to the commit index, then appended").isEqualTo(3);
    }

    @Test
    void entriesWeAlreadyHoldAreNotWrittenAgain() {
        RaftCore core = Cores.follower(1, 1, 1);
        Ready ready = core.step(receive(Cores.append(1, new OpId(1, 1), Cores.entries(1, 1).subList(1, 2), 0)));
        assertThat(ready.entries()).isEmpty();
        assertThat(ready.mustSync()).isFalse();
        assertThat(Cores.onlyAppendResponse(ready).matchIndex()).isEqualTo(2);
    }

    @Test
    void onlyNewEntriesOrAHardStateChangeNeedAnFsync() {
        RaftCore core = Cores.follower(1, 1, 1);
        Ready heartbeat = core.step(receive(Cores.append(1, new OpId(1, 2), List.of(), 0)));
        assertThat(heartbeat.mustSync()).isFalse();
        Ready append = core.step(receive(Cores.append(1, new OpId(1, 2), Cores.entries(1, 1, 1).subList(2, 3), 0)));
        assertThat(append.hardState()).isEmpty();
        assertThat(append.mustSync()).isTrue();
    }

    // Reference: section 4.1: a CONFIG entry is in force once appended, and out of force once truncated.
    @Test
    void truncatingAConfigEntryRestoresThePreviousMembership() {
        RaftCore core = followerWithPendingConfig();
        assertThat(core.membership()).isEqualTo(FOUR);
        Entry replacement = new Entry(new OpId(2, 2), EntryType.NORMAL, ByteString.copyFromUtf8("x"));
        core.step(receive(Cores.append(2, new OpId(1, 1), List.of(replacement), 1)));
        assertThat(core.log().lastOpId()).isEqualTo(new OpId(2, 2));
        assertThat(core.membership()).isEqualTo(THREE);
    }

    @Test
    void restartRecoversAConfigEntryAtTheEndOfTheLog() {
        MemoryRaftLog log = logWithConfigAt2();
        RaftCore core = new RaftCore(N1, Cores.CONFIG, log, HardState.initial(THREE), 0, new SplittableRandom(1));
        assertThat(core.membership()).isEqualTo(FOUR);
        assertThat(core.committedConfig().index()).isZero();

        RaftCore applied = new RaftCore(N1, Cores.CONFIG, logWithConfigAt2(), HardState.initial(THREE), 2,
                new SplittableRandom(1));
        assertThat(applied.committedConfig()).isEqualTo(new ConfigAt(2, FOUR));

        RaftCore oneToScan = new RaftCore(N1, Cores.CONFIG, logWithConfigAt2(),
                new HardState(1, Optional.empty(), new ConfigAt(1, THREE)), 1, new SplittableRandom(1));
        assertThat(oneToScan.membership()).as("the only entry after the committed config is scanned").isEqualTo(FOUR);
    }

    // ---------------------------------------------------------------- tablet copies

    @Test
    void tabletCopyIsAcceptedOnlyPastTheCommitIndexAndWhenNotAlreadyHeld() {
        RaftCore core = Cores.follower(Cores.CONFIG, 1, Optional.empty(), 1, 1, 1, 1);
        assertThat(core.acceptsTabletCopy(new OpId(1, 3))).as("our last entry: held").isFalse();
        assertThat(core.acceptsTabletCopy(new OpId(2, 3))).as("another term at our last index").isTrue();
        assertThat(core.acceptsTabletCopy(new OpId(1, 5))).as("beyond our log").isTrue();
        assertThat(core.acceptsTabletCopy(new OpId(2, 1))).as("not past our commit index").isFalse();
        // Installing is the driver's decision after asking acceptsTabletCopy; the core re-checks only that
        // a copy moves it past its commit index (the log may read through a WAL the driver just reset).
        assertThatThrownBy(() -> core.step(new Input.TabletCopyInstalled(new OpId(1, 1), new ConfigAt(0, THREE))))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void tabletCopyReplacesAnUncommittedMembership() {
        RaftCore core = followerWithPendingConfig();
        core.step(new Input.TabletCopyInstalled(new OpId(1, 5), new ConfigAt(5, THREE)));
        assertThat(core.membership()).isEqualTo(THREE);
        assertThat(core.commitIndex()).isEqualTo(5);
    }

    // ---------------------------------------------------------------- the leader's side

    @Test
    void rejectionAtOrBelowTheMatchIndexIsStale() {
        RaftCore core = replicatingLeader();
        core.step(receive(new AppendResponse(N2, N1, 1, false, 0, 1, 1, 0, 0)));
        assertThat(progress(core, N2).state()).isEqualTo(Progress.State.REPLICATE);
    }

    @Test
    void backOffNeverGoesBelowTheMatchIndex() {
        RaftCore core = replicatingLeader();
        core.step(receive(new AppendResponse(N2, N1, 1, false, 0, 2, 2, 5, 1)));
        assertThat(progress(core, N2).state()).isEqualTo(Progress.State.PROBE);
        assertThat(progress(core, N2).nextIndex()).isEqualTo(2);
        assertThat(progress(core, N2).matchIndex()).isEqualTo(1);
    }

    @Test
    void stalledPipelineFallsBackToProbeOnTheThirdStalledHeartbeat() {
        RaftCore core = replicatingLeader();
        tick(core, 3);
        assertThat(progress(core, N2).state()).isEqualTo(Progress.State.REPLICATE);
        tick(core, 1);
        assertThat(progress(core, N2).state()).isEqualTo(Progress.State.PROBE);
    }

    @Test
    void idlePeerIsNeverTakenForStalled() {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));
        tick(core, 8);
        assertThat(progress(core, N2).state()).isEqualTo(Progress.State.REPLICATE);
    }

    @Test
    void transferGivesUpExactlyAfterAnElectionTimeout() {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));
        core.step(new Input.TransferLeadership(N3));
        List<Integer> gaveUpAt = new ArrayList<>();
        for (int i = 1; i <= CONFIG_TIMEOUT + 2; i++) {
            Ready ready = core.step(new Input.Tick());
            if (ready.events().stream().anyMatch(event -> event.text().startsWith("gave up transferring"))) {
                gaveUpAt.add(i);
            }
        }
        assertThat(gaveUpAt).containsExactly(CONFIG_TIMEOUT);
    }

    @Test
    void membershipChangeWaitsForALeadershipTransfer() {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));
        assertThat(core.isLeaderReady()).isTrue();
        core.step(new Input.TransferLeadership(N3));
        Ready ready = core.step(new Input.ChangeMembership(new MembershipChange.AddLearner(N4)));
        assertThat(ready.proposal()).hasValueSatisfying(
                result -> assertThat(result.refusal()).isEqualTo("leadership transfer in progress"));
    }

    @Test
    void transferToSelfIsRefusedWithAReason() {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        Ready ready = core.step(new Input.TransferLeadership(N1));
        assertThat(ready.events()).extracting(Event::text).anyMatch(text -> text.startsWith("cannot transfer"));
    }

    // ---------------------------------------------------------------- inputs a non-leader refuses

    @Test
    void followerRefusesLeaderOnlyInputs() {
        RaftCore core = Cores.follower(1, 1);
        core.step(receive(Cores.append(1, new OpId(1, 1), List.of(), 0)));
        Ready change = core.step(new Input.ChangeMembership(new MembershipChange.AddLearner(N4)));
        assertThat(change.proposal()).hasValueSatisfying(result -> {
            assertThat(result.refusal()).isEqualTo("not the leader");
            assertThat(result.leaderHint()).contains(N2);
        });
        Ready transfer = core.step(new Input.TransferLeadership(N2));
        assertThat(transfer.events()).extracting(Event::kind).containsExactly(Event.Kind.TRANSFER);
    }

    // ---------------------------------------------------------------- checks that reject bad input

    @Test
    void badInputIsRejected() {
        RaftCore core = Cores.follower(1, 1);
        assertThatThrownBy(() -> core.step(receive(new AppendRequest(N2, N3, 1, new OpId(1, 1), List.of(), 0))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> core.step(new Input.Propose(List.of())))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> THREE.withLearner(N2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> THREE.withLearner(N4).withLearner(N4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> THREE.withVoter(N2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> THREE.without(N4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Membership.decode(ByteString.copyFromUtf8("n1,n2")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EntryType.fromCode(9)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- small values

    @Test
    void smallValuesHoldTheirContracts() {
        assertThat(MajorityConfig.isMajority(2, 3)).isTrue();
        assertThat(MajorityConfig.isMajority(3, 5)).isTrue();
        assertThat(MajorityConfig.isMajority(1, 3)).isFalse();
        assertThat(MajorityConfig.isMajority(1, 0)).as("no voters, no majority").isFalse();
        assertThat(new Entry(new OpId(1, 1), EntryType.NORMAL, ByteString.copyFromUtf8("abc")).sizeBytes())
                .isEqualTo(Entry.OVERHEAD_BYTES + 3);
        for (EntryType type : EntryType.values()) {
            assertThat(EntryType.fromCode(type.code())).isEqualTo(type);
        }
        assertThat(EntryType.NORMAL.code()).isEqualTo(2);
        assertThat(Cores.CONFIG.withElectionTimeoutTicks(20).electionTimeoutTicks()).isEqualTo(20);
        assertThat(Membership.ofVoters(N1, N2).voters()).containsExactly(N1, N2);
    }

    @Test
    void readyIsEmptyOnlyWhenThereIsNothingToDo() {
        RaftCore core = Cores.follower(1, 1);
        assertThat(core.step(new Input.Tick()).isEmpty()).isTrue();
        assertThat(core.step(receive(Cores.append(1, new OpId(1, 1), List.of(), 0))).isEmpty()).isFalse();
    }

    @Test
    void accessorsReportTheState() {
        RaftCore leader = replicatingLeader();
        assertThat(leader.self()).isEqualTo(N1);
        assertThat(progress(leader, N2).matchIndex()).isEqualTo(1);
        assertThat(progress(leader, N2).state()).isEqualTo(Progress.State.REPLICATE);
        assertThat(leader.toString()).contains("n1").contains("leader");
        RaftCore follower = Cores.follower(1, 1);
        follower.step(receive(Cores.append(1, new OpId(1, 1), List.of(), 0)));
        assertThat(((Follower) follower.role()).leader()).contains(N2);
    }

    // ---------------------------------------------------------------- helpers

    /** Leader of term 1 (no-op at 1, durable), n2 acknowledged it (REPLICATE), entry 2 proposed and unanswered. */
    private static RaftCore replicatingLeader() {
        RaftCore core = Cores.leader(NO_LEASE, 0);
        core.step(receive(AppendResponse.accepted(N2, N1, 1, 1)));
        core.step(new Input.Propose(List.of(ByteString.copyFromUtf8("a"))));
        return core;
    }

    private static Progress progress(RaftCore core, NodeId peer) {
        return ((Role.Leader) core.role()).progress().get(peer);
    }

    /** Entries 1.1 (NORMAL) and 1.2 (CONFIG adding n4 as a voter). */
    private static MemoryRaftLog logWithConfigAt2() {
        MemoryRaftLog log = new MemoryRaftLog();
        log.append(List.of(new Entry(new OpId(1, 1), EntryType.NORMAL, ByteString.copyFromUtf8("a")),
                new Entry(new OpId(1, 2), EntryType.CONFIG, FOUR.encode())));
        return log;
    }

    /** A follower in term 1, commit 1, whose uncommitted entry 2 is a CONFIG entry making the group FOUR. */
    private static RaftCore followerWithPendingConfig() {
        return new RaftCore(N1, Cores.CONFIG, logWithConfigAt2(), new HardState(1, Optional.empty(),
                new ConfigAt(0, THREE)), 1, new SplittableRandom(1));
    }

    private static void tick(RaftCore core, int ticks) {
        for (int i = 0; i < ticks; i++) {
            core.step(new Input.Tick());
        }
    }

    private static void tickUntil(RaftCore core, Class<? extends Role> role) {
        for (int i = 0; i < 100 && !role.isInstance(core.role()); i++) {
            core.step(new Input.Tick());
        }
        assertThat(core.role()).isInstanceOf(role);
    }
}
