package basalt.tablet;

import basalt.proto.RequestIdPB;
import basalt.proto.WriteResponsePB;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The first outcome of every write request a tablet applied, by request id (client id, sequence), so a
 * retry gets that outcome instead of a second application: a retried insert is never applied twice and
 * never answered ALREADY_PRESENT for its own row.
 *
 * <p>Applied outcomes are replicated state: every replica records them as it applies the entry, and
 * {@link Tablet} persists each one in the same RocksDB WriteBatch as the entry's rows (so it survives a
 * restart exactly when the rows do, and a new leader has it), and copies them with the tablet. An outcome
 * is dropped when a later request of the same client says its first incomplete sequence is above it: the
 * client will never ask again. Entries of clients that never come back stay until the tablet is deleted.
 *
 * <p>In-flight requests are the leader's own: a retry that arrives while the first attempt is still being
 * replicated on this leader waits for that attempt's outcome instead of proposing the rows again.
 *
 * <p>Thread-safe: applies come from the group's thread, lookups from the RPC threads.
 */
public final class ReplayCache {
    private record RequestKey(String clientId, long sequence) {}

    private final Map<String, TreeMap<Long, WriteResponsePB>> applied = new HashMap<>();
    private final Map<RequestKey, CompletableFuture<WriteResponsePB>> inFlight = new HashMap<>();

    /** Whether a request carries an id this cache keys on. */
    public static boolean tracked(RequestIdPB id) {
        return !id.getClientId().isEmpty();
    }

    /** The outcome the request had when it was applied, if it was. */
    public synchronized Optional<WriteResponsePB> appliedOutcome(RequestIdPB id) {
        TreeMap<Long, WriteResponsePB> outcomes = applied.get(id.getClientId());
        return outcomes == null ? Optional.empty() : Optional.ofNullable(outcomes.get(id.getSequence()));
    }

    /** The first attempt of this request still being replicated by this leader, if there is one. */
    public synchronized Optional<CompletableFuture<WriteResponsePB>> inFlight(RequestIdPB id) {
        return Optional.ofNullable(inFlight.get(new RequestKey(id.getClientId(), id.getSequence())));
    }

    /** Leader: the request was proposed; retries wait for {@code outcome} until it completes. */
    public synchronized void startedInFlight(RequestIdPB id, CompletableFuture<WriteResponsePB> outcome) {
        RequestKey key = new RequestKey(id.getClientId(), id.getSequence());
        inFlight.put(key, outcome);
        outcome.whenComplete((response, failure) -> {
            synchronized (this) {
                inFlight.remove(key, outcome);
            }
        });
    }

    /** Every replica, as it applies the request's entry: remember its outcome, forget the client's older ones. */
    synchronized void recordApplied(RequestIdPB id, WriteResponsePB outcome) {
        TreeMap<Long, WriteResponsePB> outcomes = applied.computeIfAbsent(id.getClientId(), client -> new TreeMap<>());
        outcomes.put(id.getSequence(), outcome);
        outcomes.headMap(Math.min(id.getFirstIncompleteSequence(), id.getSequence())).clear();
    }

    /** The sequences of {@code clientId}'s applied outcomes below {@code bound}: what the store holds too. */
    synchronized java.util.List<Long> storedBelow(String clientId, long bound) {
        TreeMap<Long, WriteResponsePB> outcomes = applied.get(clientId);
        return outcomes == null ? java.util.List.of() : java.util.List.copyOf(outcomes.headMap(bound).keySet());
    }

    /** On open or tablet copy: an outcome read back from the store. */
    synchronized void load(String clientId, long sequence, WriteResponsePB outcome) {
        applied.computeIfAbsent(clientId, client -> new TreeMap<>()).put(sequence, outcome);
    }

    /** A tablet copy replaces every applied outcome. */
    synchronized void clearApplied() {
        applied.clear();
    }

    synchronized int appliedCount() {
        return applied.values().stream().mapToInt(Map::size).sum();
    }
}
