package basalt.client.rpc;

import basalt.proto.Code;
import io.grpc.Status;
import java.util.concurrent.CompletionException;

/**
 * Which failures a retry may fix. Server codes: NOT_THE_LEADER (another replica leads), SERVICE_UNAVAILABLE
 * (leader not ready, busy), TABLET_NOT_RUNNING (bootstrapping, copying), ABORTED (the entry lost to another
 * leader's: certainly not applied). Transport failures: the server is down, restarting or too slow for
 * this attempt (UNAVAILABLE, DEADLINE_EXCEEDED of the attempt). Everything else is final.
 */
public final class RetryRules {
    private RetryRules() {}

    public static boolean retriable(Code code) {
        return code == Code.NOT_THE_LEADER || code == Code.SERVICE_UNAVAILABLE || code == Code.TABLET_NOT_RUNNING
                || code == Code.ABORTED;
    }

    /** The gRPC status of a failed call, or null when the failure is not a gRPC one. */
    public static Status statusOf(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof io.grpc.StatusRuntimeException e) {
            return e.getStatus();
        }
        if (cause instanceof io.grpc.StatusException e) {
            return e.getStatus();
        }
        return null;
    }

    /**
     * Whether a transport failure may go away: the server was unreachable, the attempt ran out of time, or
     * the connection closed under the call as it started (gRPC reports a ClosedChannelException from a
     * server killed at that moment as UNKNOWN). Retrying is safe for every call: reads change nothing,
     * and writes and DDL carry request ids, so a retry gets the first outcome.
     */
    public static boolean networkError(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED -> true;
            case UNKNOWN -> status.getCause() instanceof java.io.IOException;
            default -> false;
        };
    }
}
