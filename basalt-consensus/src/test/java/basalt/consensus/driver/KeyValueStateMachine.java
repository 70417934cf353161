package basalt.consensus.driver;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import com.google.protobuf.ByteString;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small key-value state machine for driver tests. Payloads are "key=value". Its durable part is a
 * {@link Disk} object that outlives the state machine, as a real disk outlives a process: a restarted
 * replica builds its state machine from the same Disk, flushed or not. Shared with basalt-server's
 * transport tests through this module's test jar.
 */
public final class KeyValueStateMachine implements StateMachine {
    /** What survives a restart: the last flushed map and the OpId it reflects. */
    public static final class Disk {
        volatile Map<String, String> values = Map.of();
        volatile OpId flushedUpTo = OpId.ZERO;
    }

    private final Disk disk;
    private final TreeMap<String, String> values;
    private volatile OpId lastApplied;

    public KeyValueStateMachine(Disk disk) {
        this.disk = disk;
        this.values = new TreeMap<>(disk.values);
        this.lastApplied = disk.flushedUpTo;
    }

    @Override
    public synchronized Object apply(Entry entry) {
        lastApplied = entry.opId();
        if (entry.type() != EntryType.NORMAL) {
            return null;
        }
        String[] keyValue = entry.payload().toStringUtf8().split("=", 2);
        return values.put(keyValue[0], keyValue[1]);
    }

    @Override
    public OpId lastApplied() {
        return lastApplied;
    }

    @Override
    public long durableIndex() {
        return disk.flushedUpTo.index();
    }

    /** Makes the current state durable, which lets the WAL below it be collected. */
    public synchronized void flush() {
        disk.values = Map.copyOf(values);
        disk.flushedUpTo = lastApplied;
    }

    @Override
    public synchronized ByteString snapshot() {
        StringBuilder text = new StringBuilder();
        values.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        return ByteString.copyFromUtf8(text.toString());
    }

    @Override
    public synchronized void install(ByteString snapshot, OpId lastIncluded) {
        values.clear();
        for (String line : snapshot.toStringUtf8().split("\n")) {
            if (!line.isEmpty()) {
                String[] keyValue = line.split("=", 2);
                values.put(keyValue[0], keyValue[1]);
            }
        }
        lastApplied = lastIncluded;
        flush(); // a tablet copy is made durable before the WAL is reset
    }

    public synchronized Map<String, String> values() {
        return Map.copyOf(values);
    }
}
