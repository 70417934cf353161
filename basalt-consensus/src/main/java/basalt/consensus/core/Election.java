package basalt.consensus.core;

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
import java.util.Optional;

/** Votes and pre-votes: how replicas grant them, and how (pre-)candidates count them. Section 3.4. */
final class Election {
    private Election() {}

    /**
     * A vote request in our current term (the term rules already ran). Grant when we have not voted for
     * someone else in this term and the candidate's log is at least as up to date as ours (3.6.1). The
     * answer leaves only once the vote is durable: a replica that forgot its vote could vote twice.
     */
    static void handleVoteRequest(RaftCore core, VoteRequest request) {
        boolean canVote = core.votedFor.isEmpty() || core.votedFor.get().equals(request.from());
        boolean upToDate = request.lastOpId().compareTo(core.log.lastOpId()) >= 0;
        if (canVote && upToDate) {
            core.votedFor = Optional.of(request.from());
            core.ready.hardStateChanged();
            if (core.role instanceof Follower follower) {
                follower.ticksElapsed = 0; // having voted, give the candidate time to win (etcd does the same)
            }
            core.event(Event.Kind.VOTE_GRANTED, "voted for " + request.from() + " in term " + core.term);
            VoteResponse granted = new VoteResponse(core.self, request.from(), core.term, true);
            if (core.plantedBug == PlantedBug.VOTE_BEFORE_DURABLE) {
                core.ready.sendNow(granted);
            } else {
                core.ready.sendAfterDurable(granted);
            }
        } else {
            core.event(Event.Kind.VOTE_REFUSED, "refused to vote for " + request.from() + " in term " + core.term
                    + (canVote ? ": its log " + request.lastOpId() + " is behind ours " + core.log.lastOpId()
                               : ": already voted for " + core.votedFor.get()));
            core.ready.sendNow(new VoteResponse(core.self, request.from(), core.term, false));
        }
    }

    /**
     * Would we vote for the sender in {@code proposedTerm}? Nothing changes here: no term, no vote. We say
     * yes when the proposed term is above ours, its log is up to date, and we do not hear a live leader.
     */
    static void handlePreVoteRequest(RaftCore core, PreVoteRequest request) {
        boolean grant = request.proposedTerm() > core.term
                && request.lastOpId().compareTo(core.log.lastOpId()) >= 0
                && !core.inLease();
        core.ready.sendNow(new PreVoteResponse(core.self, request.from(), core.term, request.proposedTerm(), grant));
    }

    static void preCandidateReceives(RaftCore core, PreCandidate pre, Message message) {
        switch (message) {
            case PreVoteResponse response -> {
                if (response.proposedTerm() != core.term + 1) {
                    return; // an answer to an earlier pre-election
                }
                pre.tally.record(response.from(), response.granted());
                switch (pre.tally.outcome()) {
                    case WON -> core.becomeCandidate(false);
                    case LOST -> core.becomeFollower(core.term, Optional.empty());
                    case PENDING -> { }
                }
            }
            case AppendRequest request -> {
                // A leader exists in our term: follow it and handle its append as a follower (3.4).
                core.becomeFollower(core.term, Optional.of(request.from()));
                LogMatching.handleAppendRequest(core, (Follower) core.role, request);
            }
            case VoteRequest request -> handleVoteRequest(core, request);
            case PreVoteRequest request -> handlePreVoteRequest(core, request);
            case TimeoutNow timeoutNow -> core.becomeCandidate(true);
            case VoteResponse response -> { }
            case AppendResponse response -> { }
        }
    }

    static void candidateReceives(RaftCore core, Candidate candidate, Message message) {
        switch (message) {
            case VoteResponse response -> {
                candidate.tally.record(response.from(), response.granted());
                switch (candidate.tally.outcome()) {
                    case WON -> core.becomeLeader();
                    case LOST -> core.becomeFollower(core.term, Optional.empty());
                    case PENDING -> { }
                }
            }
            case AppendRequest request -> {
                core.becomeFollower(core.term, Optional.of(request.from()));
                LogMatching.handleAppendRequest(core, (Follower) core.role, request);
            }
            case VoteRequest request -> handleVoteRequest(core, request); // refused: we voted for ourselves
            case PreVoteRequest request -> handlePreVoteRequest(core, request);
            case TimeoutNow timeoutNow -> { }
            case PreVoteResponse response -> { }
            case AppendResponse response -> { }
        }
    }
}
