package basalt.common.history;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.history.Operation.Function;
import basalt.common.history.Operation.Status;
import basalt.common.history.Result.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Goal: no false alarms on histories a real register produced, and no misses on histories that are
 * provably wrong. Method: {@link RegisterHistories} runs clients against a sequential register with
 * random overlapping intervals, FAILs and INFOs; each seed is checked as generated and after a mutation
 * that breaks linearizability for certain. A failure names the seed that reproduces it.
 */
class RandomHistoryTest {
    private static final int SEEDS = 300;

    @Test
    void generatedHistoriesAreLinearizable() {
        for (long seed = 1; seed <= SEEDS; seed++) {
            List<Operation> history = RegisterHistories.generate(new SplittableRandom(seed), 120, 4, 2);
            Result result = KeyValueChecker.check(history);
            assertThat(result.verdict()).as("seed=%s: %s", seed, result).isEqualTo(Verdict.LINEARIZABLE);
        }
    }

    /** Every written value is unique, so a read of a value nobody wrote cannot be explained. */
    @Test
    void readOfNeverWrittenValueIsRejected() {
        int mutated = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            List<Operation> history = new ArrayList<>(RegisterHistories.generate(random, 120, 4, 2));
            List<Integer> reads = indexesOfOkReads(history, false);
            if (reads.isEmpty()) {
                continue;
            }
            int index = reads.get(random.nextInt(reads.size()));
            Operation read = history.get(index);
            history.set(index, Operation.read(read.process(), read.key(), "never-written", read.invokeTime(), read.responseTime()));
            mutated++;

            Result result = KeyValueChecker.check(history);
            assertThat(result.verdict()).as("seed=%s: %s", seed, result).isEqualTo(Verdict.NOT_LINEARIZABLE);
            assertThat(result.explanation()).as("seed=%s", seed).contains("never-written");
        }
        assertThat(mutated).isGreaterThan(SEEDS / 2);
    }

    /**
     * A read moved to finish before the invocation of the only operation that wrote its value cannot
     * have seen that value.
     */
    @Test
    void readFromTheFutureIsRejected() {
        int mutated = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            List<Operation> history = new ArrayList<>(RegisterHistories.generate(random, 120, 4, 2));
            List<Integer> reads = indexesOfOkReads(history, true);
            if (reads.isEmpty()) {
                continue;
            }
            int index = reads.get(random.nextInt(reads.size()));
            Operation read = history.get(index);
            Operation writer = history.stream()
                    .filter(operation -> operation.function() != Function.READ && Objects.equals(operation.value(), read.output()))
                    .findFirst()
                    .orElseThrow();
            long before = writer.invokeTime();
            history.set(index, Operation.read(read.process(), read.key(), read.output(), before - 2, before - 1));
            mutated++;

            Result result = KeyValueChecker.check(history);
            assertThat(result.verdict()).as("seed=%s: %s", seed, result).isEqualTo(Verdict.NOT_LINEARIZABLE);
        }
        assertThat(mutated).isGreaterThan(SEEDS / 2);
    }

    /**
     * Goal: a simulator-sized history checks in well under a second. Method: 2,000 operations over
     * 5 keys from 5 concurrent clients, timed after one warm-up run so the JIT does not dominate.
     */
    @Test
    void twoThousandOperationsCheckQuickly() {
        List<Operation> history = RegisterHistories.generate(new SplittableRandom(42), 2_000, 5, 5);
        assertThat(history).hasSizeGreaterThanOrEqualTo(2_000); // plus calls still outstanding at the end
        KeyValueChecker.check(history); // warm-up

        long startNanos = System.nanoTime();
        Result result = KeyValueChecker.check(history);
        long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;

        assertThat(result.verdict()).as("%s", result).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(elapsedMillis).as("elapsed ms, %s steps", result.searchSteps()).isLessThan(1_000);
    }

    /** One key with 5 concurrent clients: every operation overlaps others, no split by key helps. */
    @Test
    void twoThousandOperationsOnOneKeyCheckQuickly() {
        List<Operation> history = RegisterHistories.generate(new SplittableRandom(7), 2_000, 5, 1);

        long startNanos = System.nanoTime();
        Result result = KeyValueChecker.check(history);
        long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;

        assertThat(result.verdict()).as("%s", result).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(elapsedMillis).as("elapsed ms, %s steps", result.searchSteps()).isLessThan(2_000);
    }

    private static List<Integer> indexesOfOkReads(List<Operation> history, boolean nonNullOutput) {
        List<Integer> reads = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            Operation operation = history.get(i);
            if (operation.function() == Function.READ && operation.status() == Status.OK
                    && (!nonNullOutput || operation.output() != null)) {
                reads.add(i);
            }
        }
        return reads;
    }
}
