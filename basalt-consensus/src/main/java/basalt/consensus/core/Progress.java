package basalt.consensus.core;

import java.util.ArrayDeque;

/**
 * What a leader knows of one peer's log (section 5.3's nextIndex and matchIndex) and how it is sending.
 *
 * <pre>
 * PROBE       -> REPLICATE:   an append succeeded; from now on appends are pipelined
 * REPLICATE   -> PROBE:       an append was rejected, or the peer stalled (no progress for a while)
 * any         -> TABLET_COPY: the peer needs entries older than the leader's first retained entry
 * TABLET_COPY -> PROBE:       the peer answered from a position the leader's log covers again
 * </pre>
 */
public final class Progress {
    public enum State { PROBE, REPLICATE, TABLET_COPY }

    long matchIndex;
    long nextIndex;
    State state = State.PROBE;
    /** In PROBE: one append is outstanding; no other is sent until it is answered or a heartbeat retries. */
    boolean probeSent;
    /** Last index of each pipelined append still unanswered, oldest first; bounded by maxInflightAppends. */
    final ArrayDeque<Long> inflightLastIndexes = new ArrayDeque<>();
    /** Whether the peer answered anything since the leader's last check-quorum round. */
    boolean recentlyActive;
    /** The matchIndex at the previous heartbeat, to detect a pipeline that lost messages. */
    long matchIndexAtLastHeartbeat;
    /** Heartbeats in a row that found the pipeline not moving. */
    int stalledHeartbeats;
    /** Heartbeats spent waiting for a tablet copy; the copy is requested again after an election timeout. */
    int ticksInTabletCopy;

    Progress(long nextIndex) {
        this.nextIndex = nextIndex;
    }

    public long matchIndex() {
        return matchIndex;
    }

    public long nextIndex() {
        return nextIndex;
    }

    public State state() {
        return state;
    }

    void becomeProbe() {
        state = State.PROBE;
        probeSent = false;
        inflightLastIndexes.clear();
        nextIndex = Math.max(nextIndex, matchIndex + 1);
    }

    void becomeReplicate() {
        state = State.REPLICATE;
        probeSent = false;
        nextIndex = Math.max(nextIndex, matchIndex + 1);
    }

    void becomeTabletCopy() {
        state = State.TABLET_COPY;
        probeSent = false;
        inflightLastIndexes.clear();
        ticksInTabletCopy = 0;
    }

    /** Forgets answered appends; returns whether the match index moved. */
    boolean acknowledge(long newMatchIndex) {
        while (!inflightLastIndexes.isEmpty() && inflightLastIndexes.peekFirst() <= newMatchIndex) {
            inflightLastIndexes.pollFirst();
        }
        if (newMatchIndex > matchIndex) {
            matchIndex = newMatchIndex;
            nextIndex = Math.max(nextIndex, matchIndex + 1);
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return state + " match=" + matchIndex + " next=" + nextIndex + " inflight=" + inflightLastIndexes.size();
    }
}
