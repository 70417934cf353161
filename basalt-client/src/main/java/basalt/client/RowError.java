package basalt.client;

import basalt.proto.Code;

/**
 * Why one operation was not applied: the row's own error (ALREADY_PRESENT, NOT_FOUND, INVALID_ARGUMENT),
 * or the error of the whole batch it travelled in (TIMED_OUT when the deadline passed: its outcome is then
 * unknown).
 */
public record RowError(Operation operation, Code code, String message) {
    @Override
    public String toString() {
        return code + " " + message + " (" + operation + ")";
    }
}
