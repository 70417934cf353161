package basalt.consensus.core;

import static basalt.consensus.core.Cores.append;
import static basalt.consensus.core.Cores.onlyAppendResponse;
import static basalt.consensus.core.Cores.receive;
import static org.assertj.core.api.Assertions.assertThat;

import basalt.consensus.core.Message.AppendResponse;
import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The follower's side of appends. */
class LogMatchingTest {
    record HintCase(String rule, long[] followerLog, long commit, OpId prev, boolean success,
                    long lastIndex, long conflictTerm, long conflictFirstIndex) {
        @Override
        public String toString() {
            return rule;
        }
    }

    // Reference: section 5.3 (paper) / 3.5 (thesis): reject an append whose preceding OpId does not match,
    // with a hint: our last index when too short, else the conflicting term and the first index we hold of
    // it (never below our commit index + 1), so the leader skips the whole term.
    static Stream<HintCase> conflictHints() {
        return Stream.of(
                new HintCase("matching prev is accepted", new long[] {1, 1, 2}, 0, new OpId(2, 3), true, 3, 0, 0),
                new HintCase("too short: hint is our last index", new long[] {1, 1}, 0, new OpId(2, 5), false, 2, 0, 0),
                new HintCase("empty log: hint is zero", new long[] {}, 0, new OpId(1, 1), false, 0, 0, 0),
                new HintCase("conflict: first index of our term at prev", new long[] {1, 2, 2, 2}, 0,
                        new OpId(3, 4), false, 4, 2, 2),
                new HintCase("conflict at the start of a term", new long[] {1, 1, 3, 3}, 0, new OpId(2, 3), false, 4, 3, 3),
                new HintCase("conflict run stops above the commit index", new long[] {1, 1, 1, 1}, 2,
                        new OpId(2, 4), false, 4, 1, 3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conflictHints")
    void conflictHint(HintCase c) {
        RaftCore core = Cores.follower(Cores.CONFIG, 3, Optional.empty(), c.commit(), c.followerLog());
        AppendResponse response = onlyAppendResponse(core.step(receive(append(3, c.prev(), List.of(), c.commit()))));
        assertThat(response.success()).isEqualTo(c.success());
        if (!c.success()) {
            assertThat(response.rejectedPrevIndex()).isEqualTo(c.prev().index());
            assertThat(response.lastIndex()).isEqualTo(c.lastIndex());
            assertThat(response.conflictTerm()).isEqualTo(c.conflictTerm());
            assertThat(response.conflictFirstIndex()).isEqualTo(c.conflictFirstIndex());
        }
    }

    // Reference: section 3.5: a conflicting suffix is replaced; matching entries are kept (an old, reordered
    // append must not truncate entries that a newer one added).
    @Test
    void conflictingSuffixIsReplacedAndMatchingEntriesKept() {
        RaftCore core = Cores.follower(3, 1, 1, 2, 2);
        List<Entry> leaderEntries = List.of(entry(3, 3), entry(3, 4));
        Ready ready = core.step(receive(append(3, new OpId(1, 2), leaderEntries, 0)));
        assertThat(ready.entries()).isEqualTo(leaderEntries);
        assertThat(core.log().lastOpId()).isEqualTo(new OpId(3, 4));

        Ready stale = core.step(receive(append(3, new OpId(1, 2), List.of(entry(3, 3)), 0)));
        assertThat(stale.entries()).as("nothing new, nothing truncated").isEmpty();
        assertThat(core.log().lastOpId()).isEqualTo(new OpId(3, 4));
        assertThat(onlyAppendResponse(stale).matchIndex()).isEqualTo(3);
    }

    // Reference: section 3.5: the follower commits min(leaderCommit, index of the last new entry), never
    // an entry it has not verified against the leader's log.
    @Test
    void commitIsBoundedByWhatThisAppendVerified() {
        RaftCore core = Cores.follower(3, 1, 1, 1, 1, 1);
        core.step(receive(append(3, new OpId(1, 2), List.of(), 9)));
        assertThat(core.commitIndex()).isEqualTo(2);
        core.step(receive(append(3, new OpId(1, 2), List.of(entry(1, 3)), 1)));
        assertThat(core.commitIndex()).as("commit never goes back").isEqualTo(2);
    }

    // Reference: section 3.8: an acknowledgement covers only durable entries.
    @Test
    void successWaitsForDurability() {
        RaftCore core = Cores.follower(3, 1);
        Ready ready = core.step(receive(append(3, new OpId(1, 1), List.of(entry(3, 2)), 0)));
        assertThat(ready.sendNow()).isEmpty();
        assertThat(ready.sendAfterDurable()).hasSize(1);
        Ready heartbeat = core.step(receive(append(3, new OpId(1, 1), List.of(), 0)));
        assertThat(heartbeat.sendNow()).as("match 1 is durable already").hasSize(1);
    }

    private static Entry entry(long term, long index) {
        return new Entry(new OpId(term, index), EntryType.NORMAL, ByteString.copyFromUtf8("x" + index));
    }
}
