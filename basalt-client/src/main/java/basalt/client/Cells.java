package basalt.client;

import basalt.proto.DataType;
import basalt.proto.ValuePB;
import com.google.protobuf.ByteString;

/**
 * Cells in the client's memory, in the same form as the server's: {@code Long} for every integer type and
 * TIMESTAMP, {@code Boolean}, {@code Float}, {@code Double}, {@code String}, {@link ByteString} for BINARY;
 * {@code null} is NULL.
 */
final class Cells {
    private Cells() {}

    static ValuePB toPB(DataType type, Object cell) {
        ValuePB.Builder pb = ValuePB.newBuilder();
        if (cell == null) {
            return pb.build();
        }
        return switch (type) {
            case INT8, INT16, INT32, INT64, TIMESTAMP -> pb.setIntValue((Long) cell).build();
            case BOOL -> pb.setBoolValue((Boolean) cell).build();
            case FLOAT -> pb.setFloatValue((Float) cell).build();
            case DOUBLE -> pb.setDoubleValue((Double) cell).build();
            case STRING -> pb.setStringValue((String) cell).build();
            case BINARY -> pb.setBinaryValue((ByteString) cell).build();
            default -> throw new IllegalArgumentException("unknown type " + type);
        };
    }

    static Object fromPB(ValuePB value) {
        return switch (value.getValueCase()) {
            case INT_VALUE -> value.getIntValue();
            case BOOL_VALUE -> value.getBoolValue();
            case FLOAT_VALUE -> value.getFloatValue();
            case DOUBLE_VALUE -> value.getDoubleValue();
            case STRING_VALUE -> value.getStringValue();
            case BINARY_VALUE -> value.getBinaryValue();
            case VALUE_NOT_SET -> null;
        };
    }

    /** The range of values an integer column holds. */
    static boolean fits(DataType type, long value) {
        return switch (type) {
            case INT8 -> value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE;
            case INT16 -> value >= Short.MIN_VALUE && value <= Short.MAX_VALUE;
            case INT32 -> value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
            default -> true;
        };
    }

    static boolean isInteger(DataType type) {
        return type == DataType.INT8 || type == DataType.INT16 || type == DataType.INT32 || type == DataType.INT64;
    }
}
