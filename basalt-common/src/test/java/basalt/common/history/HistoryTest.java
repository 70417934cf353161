package basalt.common.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.history.Operation.Function;
import basalt.common.history.Operation.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Goal: events pair into operations per process, and misuse fails with a message naming the process. */
class HistoryTest {

    @Test
    void pairsCompletionsWithInvocationsPerProcess() {
        List<Operation> operations = new History()
                .invoke(1, Function.WRITE, "k", "a", 0)
                .invoke(2, Function.READ, "k", null, 1)
                .invokeCas(3, "k", "a", "b", 2)
                .ok(2, "a", 3)
                .ok(1, "ignored echo", 4)
                .fail(3, 5)
                .invoke(2, Function.WRITE, "k", "c", 6)
                .info(2, 7)
                .invoke(1, Function.READ, "k", null, 8)
                .operations();

        assertThat(operations).containsExactly(
                Operation.write(1, "k", "a", 0, 4),
                Operation.read(2, "k", "a", 1, 3),
                new Operation(3, Function.CAS, "k", "b", "a", null, 2, 5, Status.FAIL),
                new Operation(2, Function.WRITE, "k", "c", null, null, 6, 7, Status.INFO),
                new Operation(1, Function.READ, "k", null, null, null, 8, Operation.NEVER, Status.INFO));
    }

    @Test
    void secondInvocationWhileOutstandingIsRejected() {
        History history = new History().invoke(1, Function.WRITE, "k", "a", 0);
        assertThatThrownBy(() -> history.invoke(1, Function.READ, "k", null, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("p1 invoked READ on k at 1 while its WRITE on k invoked at 0 is outstanding");
    }

    @Test
    void completionWithoutInvocationIsRejected() {
        assertThatThrownBy(() -> new History().ok(4, "a", 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("p4 reported ok at 1 but has no outstanding invocation");
        assertThatThrownBy(() -> new History().info(4, 1)).hasMessageContaining("p4 reported info");
    }

    @Test
    void goingBackInTimeIsRejected() {
        History history = new History().invoke(1, Function.WRITE, "k", "a", 10);
        assertThatThrownBy(() -> history.ok(1, 9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("p1 went back in time");
    }

    @Test
    void casGoesThroughInvokeCas() {
        assertThatThrownBy(() -> new History().invoke(1, Function.CAS, "k", "a", 0))
                .hasMessageContaining("use invokeCas");
    }
}
