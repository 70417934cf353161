package basalt.tablet;

import basalt.proto.RequestIdPB;
import basalt.proto.WriteResponsePB;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
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
 * client will never ask again. A client that sends no write for the tablet's TTL (an hour by default, far
 * beyond any client's deadline) is forgotten whole: {@link Tablet} asks for {@link #idleClients} as it
 * applies each write, by the write's own hybrid timestamp, so every replica forgets the same clients at the
 * same log position and the store stays the mirror of this cache.
 *
 * <p>In-flight requests are the leader's own: a retry that arrives while the first attempt is still being
 * replicated on this leader waits for that attempt's outcome instead of proposing the rows again.
 *
 * <p>Thread-safe: applies come from the group's thread, lookups from the RPC threads.
 */
public final class ReplayCache {
    private record RequestKey(String clientId, long sequence) {}

    /** A client by the newest timestamp among its kept outcomes: the order in which clients go idle. */
    private record LastSeen(long timestamp, String clientId) implements Comparable<LastSeen> {
        @Override
        public int compareTo(LastSeen other) {
            int byTime = Long.compare(timestamp, other.timestamp);
            return byTime != 0 ? byTime : clientId.compareTo(other.clientId);
        }
    }

    private final Map<String, TreeMap<Long, WriteResponsePB>> applied = new HashMap<>();
    private final Map<String, LastSeen> lastSeenByClient = new HashMap<>();
    private final TreeSet<LastSeen> clientsByLastSeen = new TreeSet<>();
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
        seen(id.getClientId(), outcome.getTimestamp());
    }

    /**
     * Up to {@code max} clients, other than {@code writer}, whose newest kept outcome is older than {@code
     * cutoffTimestamp}, oldest first, each with the sequences it has stored: what an apply deletes and then
     * {@link #forget}s. The writer of the entry being applied is left out so that its own lookups in this
     * apply and the store agree; it is not idle anyway once its write is recorded.
     */
    synchronized Map<String, java.util.List<Long>> idleClients(long cutoffTimestamp, String writer, int max) {
        Map<String, java.util.List<Long>> idle = new java.util.LinkedHashMap<>();
        for (LastSeen client : clientsByLastSeen) {
            if (client.timestamp() >= cutoffTimestamp || idle.size() >= max) {
                break;
            }
            if (!client.clientId().equals(writer)) {
                idle.put(client.clientId(), java.util.List.copyOf(applied.get(client.clientId()).keySet()));
            }
        }
        return idle;
    }

    /** Drops every outcome of these clients (their stored copies are deleted in the same apply). */
    synchronized void forget(java.util.Collection<String> clientIds) {
        for (String clientId : clientIds) {
            applied.remove(clientId);
            LastSeen seen = lastSeenByClient.remove(clientId);
            if (seen != null) {
                clientsByLastSeen.remove(seen);
            }
        }
    }

    synchronized int clientCount() {
        return applied.size();
    }

    private void seen(String clientId, long timestamp) {
        LastSeen previous = lastSeenByClient.get(clientId);
        if (previous != null && previous.timestamp() >= timestamp) {
            return;
        }
        if (previous != null) {
            clientsByLastSeen.remove(previous);
        }
        LastSeen next = new LastSeen(timestamp, clientId);
        lastSeenByClient.put(clientId, next);
        clientsByLastSeen.add(next);
    }

    /** The sequences of {@code clientId}'s applied outcomes below {@code bound}: what the store holds too. */
    synchronized java.util.List<Long> storedBelow(String clientId, long bound) {
        TreeMap<Long, WriteResponsePB> outcomes = applied.get(clientId);
        return outcomes == null ? java.util.List.of() : java.util.List.copyOf(outcomes.headMap(bound).keySet());
    }

    /** On open or tablet copy: an outcome read back from the store. */
    synchronized void load(String clientId, long sequence, WriteResponsePB outcome) {
        applied.computeIfAbsent(clientId, client -> new TreeMap<>()).put(sequence, outcome);
        seen(clientId, outcome.getTimestamp());
    }

    /** A tablet copy replaces every applied outcome. */
    synchronized void clearApplied() {
        applied.clear();
        lastSeenByClient.clear();
        clientsByLastSeen.clear();
    }

    synchronized int appliedCount() {
        return applied.values().stream().mapToInt(Map::size).sum();
    }
}
