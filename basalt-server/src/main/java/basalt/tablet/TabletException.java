package basalt.tablet;

import basalt.proto.Code;
import basalt.proto.ErrorPB;

/** A refusal with a specific {@link Code}, carried to the caller as an {@link ErrorPB}. */
public final class TabletException extends RuntimeException {
    private final Code code;

    public TabletException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public static TabletException invalid(String format, Object... args) {
        return new TabletException(Code.INVALID_ARGUMENT, String.format(format, args));
    }

    public Code code() {
        return code;
    }

    public ErrorPB toErrorPB() {
        return error(code, getMessage());
    }

    static ErrorPB error(Code code, String message) {
        return ErrorPB.newBuilder().setCode(code).setMessage(message).build();
    }
}
