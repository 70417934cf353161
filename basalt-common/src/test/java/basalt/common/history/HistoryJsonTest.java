package basalt.common.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.history.Operation.Function;
import basalt.common.history.Operation.Status;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Goal: the CLI.md history format round-trips, and bad input names its line. */
class HistoryJsonTest {

    @Test
    void readsTheCliFormat() {
        String text = """
                {"process": 3, "type": "invoke", "f": "cas", "key": "k1", "value": [1, 2], "time": 100}
                {"process":0,"type":"invoke","f":"read","key":"k1","value":null,"time":101}

                {"process":0,"type":"ok","f":"read","key":"k1","value":"x \\"y\\" \\u00e9","time":102, "extra": {"a": [true]}}
                {"process":3,"type":"ok","f":"cas","key":"k1","value":[1,2],"time":103}
                {"process":1,"type":"invoke","f":"write","key":"k2","value":-7,"time":104}
                {"process":1,"type":"fail","f":"write","key":"k2","value":-7,"time":105}
                {"process":2,"type":"invoke","f":"write","key":"k2","value":null,"time":106}
                """;

        assertThat(HistoryJson.parse(text)).containsExactly(
                Operation.cas(3, "k1", "1", "2", 100, 103),
                Operation.read(0, "k1", "x \"y\" \u00e9", 101, 102),
                new Operation(1, Function.WRITE, "k2", "-7", null, null, 104, 105, Status.FAIL),
                new Operation(2, Function.WRITE, "k2", null, null, null, 106, Operation.NEVER, Status.INFO));
    }

    @Test
    void writesInvokeAndCompletionLinesInTimeOrder() {
        List<Operation> operations = List.of(
                Operation.write(1, "k", "5", 0, 4),
                Operation.read(2, "k", "five \"5\"", 1, 3),
                new Operation(1, Function.CAS, "k", "6", null, null, 4, Operation.NEVER, Status.INFO));

        assertThat(HistoryJson.toJsonLines(operations)).isEqualTo("""
                {"process":1,"type":"invoke","f":"write","key":"k","value":5,"time":0}
                {"process":2,"type":"invoke","f":"read","key":"k","value":null,"time":1}
                {"process":2,"type":"ok","f":"read","key":"k","value":"five \\"5\\"","time":3}
                {"process":1,"type":"ok","f":"write","key":"k","value":5,"time":4}
                {"process":1,"type":"invoke","f":"cas","key":"k","value":[null,6],"time":4}
                """);
    }

    /** Generated histories (with FAIL and INFO operations) read back equal to what was written. */
    @Test
    void generatedHistoriesRoundTrip() {
        for (long seed = 1; seed <= 20; seed++) {
            List<Operation> history = RegisterHistories.generate(new SplittableRandom(seed), 200, 4, 3);
            assertThat(HistoryJson.parse(HistoryJson.toJsonLines(history))).as("seed=%s", seed).isEqualTo(history);
        }
    }

    @Test
    void overlappingOperationsOfOneProcessCannotBeWritten() {
        List<Operation> operations = List.of(Operation.write(1, "k", "a", 0, 10), Operation.write(1, "k", "b", 5, 12));
        assertThatThrownBy(() -> HistoryJson.toJsonLines(operations)).hasMessageContaining("p1 runs two operations at once");
    }

    record Bad(String line, String message) {
        @Override
        public String toString() {
            return message;
        }
    }

    static Stream<Bad> badLines() {
        return Stream.of(
                new Bad("{\"process\":1,\"type\":\"invoke\"", "expected ',' or '}' at column 29, found the end of the line"),
                new Bad("not json", "expected a JSON object at column 1"),
                new Bad("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1} x",
                        "unexpected text after the object"),
                new Bad("{\"process\":\"a\",\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}",
                        "\"process\" must be an integer, was the string \"a\""),
                new Bad("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null}",
                        "\"time\" must be an integer, was missing or null"),
                new Bad("{\"process\":1,\"type\":\"invoke\",\"f\":\"append\",\"key\":\"k\",\"value\":null,\"time\":1}",
                        "unsupported f \"append\""),
                new Bad("{\"process\":1,\"type\":\"begin\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}",
                        "unsupported type \"begin\""),
                new Bad("{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k\",\"value\":1,\"time\":1}",
                        "a cas value must be [expected, new], was the number 1"),
                new Bad("{\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":01,\"time\":1}",
                        "bad number 01"),
                new Bad("{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}",
                        "p1 reported ok at 1 but has no outstanding invocation"),
                new Bad("{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}",
                        "p0: ok of READ but WRITE was invoked"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badLines")
    void malformedLineIsNamed(Bad bad) {
        String text = "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":1,\"time\":0}\n\n" + bad.line() + "\n";
        assertThatThrownBy(() -> HistoryJson.parse(text))
                .isInstanceOf(HistoryFormatException.class)
                .hasMessageStartingWith("line 3: ")
                .hasMessageContaining(bad.message())
                .satisfies(e -> assertThat(((HistoryFormatException) e).lineNumber()).isEqualTo(3));
    }
}
