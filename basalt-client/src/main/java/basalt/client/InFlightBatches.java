package basalt.client;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The write batches of one tablet buffer that are in flight, bounded by a limit, and the encoded primary
 * keys they carry. A batch may start while others are in flight only if none of its keys is in theirs:
 * batches in flight together may apply in either order (each is retried on its own after a leader
 * change), which changes nothing when no row is in two of them, so operations on one row still apply in
 * the order they were applied. New keys (the usual bulk insert) never wait; a batch that touches a row an
 * in-flight batch touches waits until that batch has finished.
 *
 * <p>Not thread-safe: the {@link Session} calls it with its lock held.
 */
final class InFlightBatches {
    private final int limit;
    private final Set<ByteString> keys = new LinkedHashSet<>();
    private int batches;
    private int peak;

    InFlightBatches(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("at least 1 batch in flight per tablet, got " + limit);
        }
        this.limit = limit;
    }

    /**
     * Starts a batch of these operations if it may start now: below the limit, and no row of it in a batch
     * in flight. Returns the batch's keys, for {@link #finished}, or empty when it has to wait. With a
     * limit of 1 no key is ever compared, so none is encoded or kept.
     */
    Optional<List<ByteString>> tryStart(List<Operation> batch) {
        if (batches >= limit) {
            return Optional.empty();
        }
        List<ByteString> batchKeys = new ArrayList<>(limit == 1 ? 0 : batch.size());
        if (limit > 1) {
            for (Operation operation : batch) {
                ByteString key = operation.row().encodedKey();
                if (keys.contains(key)) {
                    return Optional.empty();
                }
                batchKeys.add(key);
            }
            for (ByteString key : batchKeys) {
                // A row twice in one batch is one key here; the batch itself keeps their order.
                keys.add(key);
            }
        }
        batches++;
        peak = Math.max(peak, batches);
        return Optional.of(batchKeys);
    }

    /** The batch whose keys {@link #tryStart} returned has finished (applied, failed or timed out). */
    void finished(List<ByteString> batchKeys) {
        if (batches == 0) {
            throw new IllegalStateException("a batch finished with none in flight");
        }
        batches--;
        // One by one: Set.removeAll may call List.contains per key, quadratic in the batch size.
        for (ByteString key : batchKeys) {
            keys.remove(key);
        }
    }

    int count() {
        return batches;
    }

    /** The most batches that were in flight at once. */
    int peak() {
        return peak;
    }
}
