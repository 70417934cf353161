package basalt.consensus.core;

import basalt.common.check.Check;
import basalt.consensus.core.Message.AppendRequest;
import basalt.consensus.core.Message.AppendResponse;
import basalt.consensus.core.Role.Follower;
import java.util.List;
import java.util.Optional;

/**
 * The follower's side of appends (section 5.3): accept entries only after a preceding OpId that matches
 * our log, replace a conflicting suffix (never a committed entry), advance the commit index, and answer
 * with either the new match index or a hint that lets the leader skip a whole conflicting term.
 */
final class LogMatching {
    private LogMatching() {}

    static void handleAppendRequest(RaftCore core, Follower follower, AppendRequest request) {
        follower.leader = Optional.of(request.from());
        follower.ticksSinceLeader = 0;
        follower.ticksElapsed = 0;
        RaftLog log = core.log;

        OpId prev = request.prev();
        List<Entry> entries = request.entries();
        // Entries at or below our commit index are already known to match the leader's (they are
        // committed, section 5.4.3): skip them, which also covers a prev that a tablet copy or WAL GC
        // took from us.
        long committed = core.commitIndex;
        if (prev.index() < committed) {
            int skip = (int) Math.min(entries.size(), committed - prev.index());
            entries = entries.subList(skip, entries.size());
            long newPrevIndex = prev.index() + skip;
            if (newPrevIndex < committed) {
                reply(core, request, AppendResponse.accepted(core.self, request.from(), core.term, committed));
                return;
            }
            prev = new OpId(log.term(newPrevIndex), newPrevIndex);
        }

        if (!prevMatches(core, prev)) {
            rejectWithHint(core, request, prev);
            return;
        }

        // Find the first entry that is new to us or conflicts with ours; everything before it is equal.
        int firstNew = 0;
        while (firstNew < entries.size()) {
            Entry entry = entries.get(firstNew);
            if (entry.index() > log.lastIndex() || log.term(entry.index()) != entry.term()) {
                break;
            }
            firstNew++;
        }
        if (firstNew < entries.size()) {
            List<Entry> toAppend = entries.subList(firstNew, entries.size());
            long fromIndex = toAppend.get(0).index();
            Check.state(fromIndex > core.commitIndex, "%s: append from %s would overwrite committed index %s",
                    core.self, request.from(), core.commitIndex);
            if (fromIndex <= log.lastIndex()) {
                core.dropConfigsFrom(fromIndex);
                core.durableIndex = Math.min(core.durableIndex, fromIndex - 1);
            }
            log.append(toAppend);
            core.ready.persist(toAppend);
            for (Entry entry : toAppend) {
                core.trackConfig(entry);
            }
        }

        long matchIndex = prev.index() + entries.size();
        long newCommit = Math.min(request.leaderCommit(), matchIndex);
        if (newCommit > core.commitIndex) {
            core.commitIndex = newCommit;
            core.maybeAdvanceCommittedConfig();
        }
        reply(core, request, AppendResponse.accepted(core.self, request.from(), core.term, matchIndex));
    }

    private static boolean prevMatches(RaftCore core, OpId prev) {
        if (core.plantedBug == PlantedBug.APPEND_WITHOUT_PREV_CHECK) {
            return prev.index() <= core.log.lastIndex() && core.log.term(prev.index()) >= 0;
        }
        return prev.index() <= core.log.lastIndex() && core.log.term(prev.index()) == prev.term();
    }

    /**
     * A success is only true once the entries it covers are durable here, so it waits for the fsync
     * unless everything up to the match index is durable already.
     */
    private static void reply(RaftCore core, AppendRequest request, AppendResponse response) {
        if (response.matchIndex() <= core.durableIndex) {
            core.ready.sendNow(response);
        } else {
            core.ready.sendAfterDurable(response);
        }
    }

    /**
     * Rejects with the hint of section 5.3's optimization: our last index when we are too short, otherwise
     * the term we hold at prev and the first index we hold of that term, so the leader skips the whole term.
     */
    private static void rejectWithHint(RaftCore core, AppendRequest request, OpId prev) {
        RaftLog log = core.log;
        long conflictTerm = 0;
        long conflictFirstIndex = 0;
        if (prev.index() <= log.lastIndex()) {
            conflictTerm = log.term(prev.index());
            conflictFirstIndex = prev.index();
            long floor = Math.max(core.commitIndex + 1, log.firstIndex());
            while (conflictFirstIndex - 1 >= floor && log.term(conflictFirstIndex - 1) == conflictTerm) {
                conflictFirstIndex--;
            }
        }
        core.event(Event.Kind.APPEND_REJECTED, "rejected an append from " + request.from() + " after " + prev
                + ": our log ends at " + log.lastOpId());
        core.ready.sendNow(new AppendResponse(core.self, request.from(), core.term, false, 0,
                prev.index(), log.lastIndex(), conflictTerm, conflictFirstIndex));
    }
}
