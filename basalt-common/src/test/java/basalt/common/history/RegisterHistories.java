package basalt.common.history;

import basalt.common.history.Operation.Function;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Generates histories that are linearizable by construction: clients run against one real sequential
 * key-value register, and each call takes effect at one instant strictly inside its own interval. Calls
 * may fail before taking effect (FAIL), or time out before or after taking effect (INFO). Every written
 * value is unique, so a mutated history can be proven wrong.
 */
final class RegisterHistories {
    private RegisterHistories() {}

    private enum Phase { IDLE, INVOKED, APPLIED }

    private static final class Client {
        Phase phase = Phase.IDLE;
        Function function;
        String key;
        String value;
        String expected;
        String output;
        boolean casMatched;
    }

    static List<Operation> generate(SplittableRandom random, int operations, int processes, int keys) {
        Map<String, String> register = new TreeMap<>();
        List<String> written = new ArrayList<>();
        Client[] clients = new Client[processes];
        for (int p = 0; p < processes; p++) {
            clients[p] = new Client();
        }
        History history = new History();
        long clock = 10;
        int completed = 0;
        int valueCounter = 0;
        // Every third event completes an operation at worst, so this bound is never the one that stops.
        for (long event = 0; completed < operations && event < 100L * operations; event++) {
            int p = random.nextInt(processes);
            Client client = clients[p];
            clock += 1 + random.nextInt(3);
            switch (client.phase) {
                case IDLE -> {
                    client.key = "k" + random.nextInt(keys);
                    int roll = random.nextInt(10);
                    client.function = roll < 4 ? Function.READ : roll < 8 ? Function.WRITE : Function.CAS;
                    if (client.function == Function.READ) {
                        history.invoke(p, Function.READ, client.key, null, clock);
                    } else if (client.function == Function.WRITE) {
                        client.value = "v" + (++valueCounter);
                        history.invoke(p, Function.WRITE, client.key, client.value, clock);
                    } else {
                        client.value = "v" + (++valueCounter);
                        client.expected = random.nextBoolean() || written.isEmpty()
                                ? register.get(client.key)
                                : written.get(random.nextInt(written.size()));
                        history.invokeCas(p, client.key, client.expected, client.value, clock);
                    }
                    client.phase = Phase.INVOKED;
                }
                case INVOKED -> {
                    int roll = random.nextInt(100);
                    if (roll < 5) {
                        history.fail(p, clock);
                        client.phase = Phase.IDLE;
                        completed++;
                    } else if (roll < 8) {
                        history.info(p, clock); // timed out and never took effect
                        client.phase = Phase.IDLE;
                        completed++;
                    } else {
                        apply(client, register, written); // the linearization point
                        client.phase = Phase.APPLIED;
                    }
                }
                case APPLIED -> {
                    if (random.nextInt(100) < 5) {
                        history.info(p, clock); // timed out after taking effect
                    } else if (client.function == Function.CAS && !client.casMatched) {
                        history.fail(p, clock);
                    } else {
                        history.ok(p, client.output, clock);
                    }
                    client.phase = Phase.IDLE;
                    completed++;
                }
            }
        }
        return history.operations();
    }

    private static void apply(Client client, Map<String, String> register, List<String> written) {
        String current = register.get(client.key);
        switch (client.function) {
            case READ -> client.output = current;
            case WRITE -> {
                register.put(client.key, client.value);
                written.add(client.value);
                client.output = null;
            }
            case CAS -> {
                client.casMatched = Objects.equals(current, client.expected);
                if (client.casMatched) {
                    register.put(client.key, client.value);
                    written.add(client.value);
                }
                client.output = null;
            }
        }
    }
}
