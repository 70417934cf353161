package basalt.cli.rpc;

import basalt.proto.ErrorPB;
import java.util.Optional;

/**
 * A call that ended without an answer to use: a final error from the server, or a deadline that passed.
 * {@link #outcomeUnknown()} says whether a write may still have been applied (a timeout after sending),
 * which a history must record as {@code info}, not {@code fail}.
 */
public final class RpcFailedException extends RuntimeException {
    private final Optional<ErrorPB> error;
    private final boolean outcomeUnknown;

    RpcFailedException(String message, Optional<ErrorPB> error, boolean outcomeUnknown) {
        super(message);
        this.error = error;
        this.outcomeUnknown = outcomeUnknown;
    }

    public Optional<ErrorPB> error() {
        return error;
    }

    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
