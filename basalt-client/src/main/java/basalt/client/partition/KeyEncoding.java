package basalt.client.partition;

import basalt.common.key.KeyBytes;
import basalt.proto.DataType;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The order-preserving encoding of key columns, as the tablet server's {@code KeyEncoder} writes it (the
 * byte rules are shared through {@link KeyBytes}; this class only picks the rule per type). Cells are in the
 * client's in-memory form: {@code Long} for every integer type and TIMESTAMP, {@code Boolean},
 * {@code Float}, {@code Double}, {@code String}, {@link ByteString} for BINARY.
 */
public final class KeyEncoding {
    private KeyEncoding() {}

    public static void encodeColumn(DataType type, Object value, ByteArrayOutputStream out) {
        if (value == null) {
            throw new IllegalArgumentException("a key column of type " + type + " must not be NULL");
        }
        switch (type) {
            case INT8 -> KeyBytes.writeSigned(out, (Long) value, 1);
            case INT16 -> KeyBytes.writeSigned(out, (Long) value, 2);
            case INT32 -> KeyBytes.writeSigned(out, (Long) value, 4);
            case INT64, TIMESTAMP -> KeyBytes.writeSigned(out, (Long) value, 8);
            case BOOL -> KeyBytes.writeBool(out, (Boolean) value);
            case FLOAT -> KeyBytes.writeFloat(out, (Float) value);
            case DOUBLE -> KeyBytes.writeDouble(out, (Double) value);
            case STRING -> KeyBytes.writeEscaped(out, ((String) value).getBytes(StandardCharsets.UTF_8));
            case BINARY -> KeyBytes.writeEscaped(out, ((ByteString) value).toByteArray());
            default -> throw new IllegalArgumentException("unknown type " + type);
        }
    }
}
