package basalt.consensus.sim;

import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.Membership;
import basalt.consensus.core.OpId;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The replicated key-value register the simulated clients use. Commands are text so that traces read
 * well: {@code W|key|value}, {@code R|key}, {@code C|key|expected|new} (an empty expected means "absent").
 * Every command carries its client operation id first: {@code op-17|W|k1|v3}.
 */
final class KvStateMachine {
    /** What a flush or a tablet copy carries: the map, where it stands, and the membership there. */
    record Snapshot(Map<String, String> values, OpId lastIncluded, ConfigAt config) {
        Snapshot {
            values = Map.copyOf(values);
        }
    }

    /** The outcome of one command: a read's value, or whether a write or cas took effect. */
    record Result(boolean applied, String value) {}

    private final TreeMap<String, String> values = new TreeMap<>();
    private OpId lastApplied;
    private ConfigAt config;

    KvStateMachine(Snapshot snapshot) {
        values.putAll(snapshot.values());
        lastApplied = snapshot.lastIncluded();
        config = snapshot.config();
    }

    static ByteString command(long operationId, String text) {
        return ByteString.copyFrom("op-" + operationId + "|" + text, StandardCharsets.UTF_8);
    }

    static long operationId(Entry entry) {
        String text = entry.payload().toString(StandardCharsets.UTF_8);
        return Long.parseLong(text.substring(3, text.indexOf('|')));
    }

    /** Applies the next committed entry; returns the command's result for NORMAL entries. */
    Optional<Result> apply(Entry entry) {
        if (entry.index() != lastApplied.index() + 1) {
            throw new IllegalStateException("applying " + entry.opId() + " after " + lastApplied);
        }
        lastApplied = entry.opId();
        if (entry.type() == EntryType.CONFIG) {
            config = new ConfigAt(entry.index(), Membership.decode(entry.payload()));
        }
        if (entry.type() != EntryType.NORMAL) {
            return Optional.empty();
        }
        String[] parts = entry.payload().toString(StandardCharsets.UTF_8).split("\\|", -1);
        String key = parts[2];
        return Optional.of(switch (parts[1]) {
            case "W" -> {
                values.put(key, parts[3]);
                yield new Result(true, parts[3]);
            }
            case "R" -> new Result(true, values.get(key));
            case "C" -> {
                String expected = parts[3].isEmpty() ? null : parts[3];
                if (java.util.Objects.equals(values.get(key), expected)) {
                    values.put(key, parts[4]);
                    yield new Result(true, parts[4]);
                }
                yield new Result(false, values.get(key));
            }
            default -> throw new IllegalStateException("unknown command " + parts[1]);
        });
    }

    Snapshot snapshot() {
        return new Snapshot(values, lastApplied, config);
    }

    OpId lastApplied() {
        return lastApplied;
    }

    Map<String, String> values() {
        return Map.copyOf(values);
    }
}
