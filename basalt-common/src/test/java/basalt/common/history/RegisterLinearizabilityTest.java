package basalt.common.history;

import static basalt.common.history.Operation.cas;
import static basalt.common.history.Operation.read;
import static basalt.common.history.Operation.write;
import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.history.Operation.Status;
import basalt.common.history.Result.Verdict;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Goal: the checker accepts exactly the register histories that some real-time-respecting order
 * explains. Method: small hand-made histories, one rule each, with the verdict a person can verify.
 * Times are [invoke, response]; "k" starts absent.
 */
class RegisterLinearizabilityTest {

    record Case(String rule, List<Operation> history, Verdict expected) {
        @Override
        public String toString() {
            return rule;
        }
    }

    static Operation info(Operation operation) {
        return operation.withStatus(Status.INFO, Operation.NEVER);
    }

    static Operation failed(Operation operation) {
        return operation.withStatus(Status.FAIL, operation.responseTime());
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("an empty history is linearizable", List.of(), Verdict.LINEARIZABLE),
                new Case("a read of a never-written key returns absent",
                        List.of(read(0, "k", null, 0, 1)), Verdict.LINEARIZABLE),
                new Case("a sequential history is linearizable",
                        List.of(write(0, "k", "1", 0, 1), read(1, "k", "1", 2, 3), cas(0, "k", "1", "2", 4, 5),
                                read(1, "k", "2", 6, 7)),
                        Verdict.LINEARIZABLE),
                new Case("a read after a completed write must not return the older value",
                        List.of(write(0, "k", "1", 0, 1), write(0, "k", "2", 2, 3), read(1, "k", "1", 4, 5)),
                        Verdict.NOT_LINEARIZABLE),
                new Case("a read concurrent with a write may see the old value",
                        List.of(write(0, "k", "1", 0, 10), read(1, "k", null, 1, 2)), Verdict.LINEARIZABLE),
                new Case("a read concurrent with a write may see the new value",
                        List.of(write(0, "k", "1", 0, 10), read(1, "k", "1", 1, 2)), Verdict.LINEARIZABLE),
                new Case("once a concurrent read saw the new value, a later read cannot see the old one",
                        List.of(write(0, "k", "1", 0, 10), read(1, "k", "1", 1, 2), read(1, "k", null, 3, 4)),
                        Verdict.NOT_LINEARIZABLE),
                new Case("a read never returns a value nobody wrote",
                        List.of(write(0, "k", "1", 0, 1), read(1, "k", "7", 2, 3)), Verdict.NOT_LINEARIZABLE),
                new Case("a cas from absent succeeds on a fresh key",
                        List.of(cas(0, "k", null, "1", 0, 1), read(1, "k", "1", 2, 3)), Verdict.LINEARIZABLE),
                new Case("a successful cas needs the expected value to be current",
                        List.of(write(0, "k", "3", 0, 1), cas(0, "k", "1", "2", 2, 3)), Verdict.NOT_LINEARIZABLE),
                new Case("a failed cas leaves the value alone",
                        List.of(write(0, "k", "3", 0, 1), failed(cas(0, "k", "1", "2", 2, 3)), read(1, "k", "3", 4, 5)),
                        Verdict.LINEARIZABLE),
                new Case("two concurrent cas from the same value cannot both succeed",
                        List.of(write(0, "k", "0", 0, 1), cas(1, "k", "0", "1", 2, 5), cas(2, "k", "0", "2", 2, 5)),
                        Verdict.NOT_LINEARIZABLE),
                new Case("concurrent cas operations may chain",
                        List.of(write(0, "k", "0", 0, 1), cas(1, "k", "1", "2", 2, 5), cas(2, "k", "0", "1", 2, 5),
                                read(0, "k", "2", 6, 7)),
                        Verdict.LINEARIZABLE),
                new Case("an INFO write may have happened: a later read may see it",
                        List.of(info(write(0, "k", "1", 0, 1)), read(1, "k", "1", 5, 6)), Verdict.LINEARIZABLE),
                new Case("an INFO write may not have happened: a later read may miss it",
                        List.of(info(write(0, "k", "1", 0, 1)), read(1, "k", null, 5, 6)), Verdict.LINEARIZABLE),
                new Case("an INFO write may take effect long after it timed out",
                        List.of(info(write(0, "k", "1", 0, 1)), read(1, "k", null, 5, 6), read(1, "k", "1", 7, 8)),
                        Verdict.LINEARIZABLE),
                new Case("an INFO write, once seen, stays seen",
                        List.of(info(write(0, "k", "1", 0, 1)), read(1, "k", "1", 5, 6), read(1, "k", null, 7, 8)),
                        Verdict.NOT_LINEARIZABLE),
                new Case("an INFO write cannot take effect before its invocation",
                        List.of(read(1, "k", "1", 0, 1), info(write(0, "k", "1", 2, 3))), Verdict.NOT_LINEARIZABLE),
                new Case("an INFO cas that cannot apply is simply omitted",
                        List.of(write(0, "k", "5", 0, 1), info(cas(1, "k", "9", "1", 2, 3)), read(0, "k", "5", 4, 5)),
                        Verdict.LINEARIZABLE),
                new Case("an INFO read constrains nothing",
                        List.of(info(read(1, "k", null, 0, 1)), write(0, "k", "1", 2, 3)), Verdict.LINEARIZABLE),
                new Case("a FAIL write did not happen: reading its value is not linearizable",
                        List.of(failed(write(0, "k", "1", 0, 1)), read(1, "k", "1", 2, 3)), Verdict.NOT_LINEARIZABLE),
                new Case("a response and an invocation at the same time count as concurrent",
                        List.of(write(0, "k", "1", 0, 5), read(1, "k", null, 5, 6)), Verdict.LINEARIZABLE),
                new Case("keys are independent: a write to one key is invisible on another",
                        List.of(write(0, "a", "1", 0, 1), read(1, "b", null, 2, 3), read(1, "a", "1", 4, 5)),
                        Verdict.LINEARIZABLE),
                new Case("a violation on one key fails the whole history",
                        List.of(write(0, "a", "1", 0, 1), read(1, "b", "1", 2, 3)), Verdict.NOT_LINEARIZABLE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void verdict(Case c) {
        Result result = KeyValueChecker.check(c.history());
        assertThat(result.verdict()).as("%s: %s", c.rule(), result).isEqualTo(c.expected());
        assertThat(result.explanation().isEmpty()).isEqualTo(c.expected() == Verdict.LINEARIZABLE);
    }

    /** The explanation names the key, the prefix that worked, and the operation that could not be placed. */
    @Test
    void explanationNamesKeyPrefixAndBlockedOperation() {
        Result result = KeyValueChecker.check(List.of(
                write(0, "k1", "1", 0, 1), write(0, "k1", "2", 2, 3), read(1, "k1", "1", 4, 5)));

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(result.explanation())
                .startsWith("key k1: ")
                .contains("longest linearizable prefix has 2 of 3")
                .contains("in state 2")
                .contains("p1 read(k1) -> 1 OK [4, 5] could not be placed");
    }

    /** A search that needs more steps than allowed answers UNKNOWN instead of running on. */
    @Test
    void exhaustedBudgetIsUnknown() {
        List<Operation> history = List.of(write(0, "k", "1", 0, 10), write(1, "k", "2", 0, 10),
                write(2, "k", "3", 0, 10), read(3, "k", "9", 11, 12));

        Result result = LinearizabilityChecker.check(history, new RegisterModel(), RegisterModel.ABSENT, 5);

        assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(result.explanation()).contains("budget of 5 steps exhausted");
        assertThat(KeyValueChecker.check(history, 1_000).verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    /** The memo cuts re-exploration: n concurrent writes then a bad read take far fewer than n! steps. */
    @Test
    void memoizationKeepsConcurrentWritesTractable() {
        List<Operation> history = new java.util.ArrayList<>();
        for (int p = 0; p < 12; p++) {
            history.add(write(p, "k", "v" + p, 0, 100));
        }
        history.add(read(99, "k", "never", 101, 102));

        Result result = KeyValueChecker.check(history, 1_000_000);

        assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        // 12! is 479 million; with the memo the search visits each (subset, last value) pair once.
        assertThat(result.searchSteps()).isLessThan(1_000_000);
    }
}
