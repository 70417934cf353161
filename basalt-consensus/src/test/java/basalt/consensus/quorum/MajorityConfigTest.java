package basalt.consensus.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Quorum arithmetic, one rule per case. Reference: thesis section 3.6.2 (commit on a majority) and 3.4. */
class MajorityConfigTest {
    record Case(String rule, long[] acknowledged, long committed) {
        @Override
        public String toString() {
            return rule;
        }
    }

    static Stream<Case> committedIndexes() {
        return Stream.of(
                new Case("no voters commit nothing", new long[] {}, 0),
                new Case("1 voter: its own index", new long[] {7}, 7),
                new Case("2 voters: both must hold it", new long[] {7, 3}, 3),
                new Case("3 voters: the median", new long[] {5, 9, 7}, 7),
                new Case("3 voters: two at zero commit nothing", new long[] {0, 9, 0}, 0),
                new Case("4 voters: three must hold it", new long[] {9, 8, 7, 1}, 7),
                new Case("4 voters: a tie of two does not commit", new long[] {9, 9, 1, 1}, 1),
                new Case("5 voters: the third highest", new long[] {1, 2, 3, 4, 5}, 3),
                new Case("5 voters: order does not matter", new long[] {5, 1, 4, 2, 3}, 3),
                new Case("5 voters: two fast ones are not enough", new long[] {100, 100, 2, 2, 2}, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("committedIndexes")
    void committedIndexIsWhatAMajorityHolds(Case c) {
        long[] before = c.acknowledged().clone();
        assertThat(MajorityConfig.committedIndex(c.acknowledged())).isEqualTo(c.committed());
        assertThat(c.acknowledged()).as("the input is not reordered").isEqualTo(before);
    }

    record MajorityCase(int count, int voters, boolean majority) {}

    static Stream<MajorityCase> majorities() {
        return Stream.of(new MajorityCase(0, 0, false), new MajorityCase(1, 1, true), new MajorityCase(0, 1, false),
                new MajorityCase(1, 2, false), new MajorityCase(2, 2, true), new MajorityCase(1, 3, false),
                new MajorityCase(2, 3, true), new MajorityCase(2, 4, false), new MajorityCase(3, 4, true),
                new MajorityCase(2, 5, false), new MajorityCase(3, 5, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("majorities")
    void majorityIsMoreThanHalf(MajorityCase c) {
        assertThat(MajorityConfig.isMajority(c.count(), c.voters())).isEqualTo(c.majority());
    }
}
