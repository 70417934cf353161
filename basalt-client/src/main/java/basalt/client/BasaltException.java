package basalt.client;

import basalt.proto.Code;
import basalt.proto.ErrorPB;

/**
 * An operation failed with an error that retrying would not fix, or its deadline passed. {@link #code()}
 * says which: TIMED_OUT when the deadline passed (the last retriable error is in the message), otherwise
 * the server's specific code (INVALID_ARGUMENT, NOT_FOUND, ALREADY_PRESENT, ...).
 */
public class BasaltException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Code code;

    public BasaltException(Code code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public BasaltException(Code code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    /** The same failure thrown again from the caller's thread, so its stack shows the caller too. */
    BasaltException(BasaltException original) {
        super(original.getMessage(), original, true, true);
        this.code = original.code;
    }

    public static BasaltException of(String what, ErrorPB error) {
        return new BasaltException(error.getCode(), what + ": " + error.getMessage());
    }

    public Code code() {
        return code;
    }
}
