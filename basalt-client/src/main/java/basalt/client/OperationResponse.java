package basalt.client;

import java.util.Optional;

/** The outcome of one applied operation: its row error, if any, and the hybrid time of the write. */
public record OperationResponse(Operation operation, Optional<RowError> rowError, long writeTimestamp) {
    public boolean hasRowError() {
        return rowError.isPresent();
    }
}
