package basalt.tablet;

import basalt.proto.RowErrorPB;
import basalt.proto.WriteResponsePB;
import com.google.protobuf.ByteString;
import java.util.List;

/**
 * What {@link Tablet#prepareWrite} hands the leader: the payload to replicate (an encoded
 * {@code ReplicatedWritePB}, empty when no row passed validation), the timestamp assigned to it (0 when
 * empty), and the rows refused by validation. The refused rows are inside the payload too, so the
 * response {@link Tablet#apply} returns for the entry already covers the whole request.
 */
public record PreparedWrite(ByteString payload, long timestamp, List<RowErrorPB> rowErrors) {
    /** False when every row was refused: nothing to replicate, answer with {@link #responseWithoutReplication}. */
    public boolean needsReplication() {
        return !payload.isEmpty();
    }

    public WriteResponsePB responseWithoutReplication() {
        return WriteResponsePB.newBuilder().addAllRowErrors(rowErrors).build();
    }
}
