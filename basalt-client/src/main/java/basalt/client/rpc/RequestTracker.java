package basalt.client.rpc;

import basalt.proto.RequestIdPB;
import java.util.TreeSet;

/**
 * Request ids for exactly-once: one client id, a sequence number per request (a write batch to one tablet,
 * or a DDL), and the lowest sequence still in flight, which tells servers that outcomes of every lower
 * sequence will never be asked for again and may be dropped. A retry reuses its request's id; a request
 * is {@link #complete}d once the client stops retrying it, whatever the outcome.
 */
public final class RequestTracker {
    private final String clientId;
    private final TreeSet<Long> inFlight = new TreeSet<>();
    private long nextSequence = 1;

    public RequestTracker(String clientId) {
        this.clientId = clientId;
    }

    public String clientId() {
        return clientId;
    }

    /** A new request id; its sequence stays in flight until {@link #complete}. */
    public synchronized RequestIdPB newRequest() {
        long sequence = nextSequence++;
        inFlight.add(sequence);
        return RequestIdPB.newBuilder().setClientId(clientId).setSequence(sequence)
                .setFirstIncompleteSequence(inFlight.first()).build();
    }

    /**
     * The id to send for an attempt of a request: its own sequence and the current lowest in flight, which
     * may have risen since the request was created.
     */
    public synchronized RequestIdPB forAttempt(RequestIdPB request) {
        long first = inFlight.isEmpty() ? request.getSequence() : Math.min(request.getSequence(), inFlight.first());
        return request.toBuilder().setFirstIncompleteSequence(first).build();
    }

    public synchronized void complete(RequestIdPB request) {
        inFlight.remove(request.getSequence());
    }

    /** The lowest sequence in flight, or the next one to be issued when none is. */
    public synchronized long firstIncompleteSequence() {
        return inFlight.isEmpty() ? nextSequence : inFlight.first();
    }
}
