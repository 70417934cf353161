package basalt.common.row;

/**
 * A packed row block whose structure is broken (truncated, a length past the end, trailing bytes, a
 * header that does not fit the schema): no row of it can be trusted, so the whole write is refused.
 * Problems confined to one row whose extent is still known are per-row errors instead
 * ({@link PackedRows.Row#error()}).
 */
public final class MalformedRowsException extends RuntimeException {
    public MalformedRowsException(String message) {
        super(message);
    }
}
