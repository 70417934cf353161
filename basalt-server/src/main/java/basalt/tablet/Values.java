package basalt.tablet;

import basalt.proto.DataType;
import basalt.proto.ValuePB;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/**
 * Cells in memory. One Java type per {@link DataType}: {@code Long} for INT8, INT16, INT32, INT64 and
 * TIMESTAMP (range-checked for the narrow types), {@code Boolean}, {@code Float}, {@code Double},
 * {@code String}, and {@link ByteString} for BINARY; {@code null} is NULL.
 *
 * <p>Order, the same as {@link KeyEncoder}'s byte order: numbers numerically, floats as
 * {@link Float#compare} (-0.0 before 0.0, NaN last), false before true, strings by their UTF-8 bytes
 * (code point order, not Java's UTF-16 {@code compareTo}), binary by unsigned bytes.
 */
public final class Values {
    private static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();

    private Values() {}

    /**
     * The cell a ValuePB holds for a column of {@code type}, or null for an unset ValuePB. Throws an
     * INVALID_ARGUMENT {@link TabletException} whose message describes the mismatch (without the column).
     */
    public static Object fromPB(DataType type, ValuePB value) {
        if (value.getValueCase() == ValuePB.ValueCase.VALUE_NOT_SET) {
            return null;
        }
        switch (type) {
            case INT8, INT16, INT32, INT64, TIMESTAMP -> {
                expect(type, value, ValuePB.ValueCase.INT_VALUE);
                long v = value.getIntValue();
                long min = switch (type) {
                    case INT8 -> Byte.MIN_VALUE;
                    case INT16 -> Short.MIN_VALUE;
                    case INT32 -> Integer.MIN_VALUE;
                    default -> Long.MIN_VALUE;
                };
                long max = switch (type) {
                    case INT8 -> Byte.MAX_VALUE;
                    case INT16 -> Short.MAX_VALUE;
                    case INT32 -> Integer.MAX_VALUE;
                    default -> Long.MAX_VALUE;
                };
                if (v < min || v > max) {
                    throw TabletException.invalid("value %d is out of range for %s", v, type);
                }
                return v;
            }
            case BOOL -> {
                expect(type, value, ValuePB.ValueCase.BOOL_VALUE);
                return value.getBoolValue();
            }
            case FLOAT -> {
                expect(type, value, ValuePB.ValueCase.FLOAT_VALUE);
                return value.getFloatValue();
            }
            case DOUBLE -> {
                expect(type, value, ValuePB.ValueCase.DOUBLE_VALUE);
                return value.getDoubleValue();
            }
            case STRING -> {
                expect(type, value, ValuePB.ValueCase.STRING_VALUE);
                return value.getStringValue();
            }
            case BINARY -> {
                expect(type, value, ValuePB.ValueCase.BINARY_VALUE);
                return value.getBinaryValue();
            }
            default -> throw TabletException.invalid("unknown type %s", type);
        }
    }

    private static void expect(DataType type, ValuePB value, ValuePB.ValueCase expected) {
        if (value.getValueCase() != expected) {
            throw TabletException.invalid("expected a %s value but got %s", type, describe(value.getValueCase()));
        }
    }

    private static String describe(ValuePB.ValueCase valueCase) {
        return switch (valueCase) {
            case INT_VALUE -> "an integer";
            case BOOL_VALUE -> "a bool";
            case FLOAT_VALUE -> "a float";
            case DOUBLE_VALUE -> "a double";
            case STRING_VALUE -> "a string";
            case BINARY_VALUE -> "binary";
            case VALUE_NOT_SET -> "NULL";
        };
    }

    public static ValuePB toPB(DataType type, Object cell) {
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

    /** Compares two non-null cells of {@code type} in key order. */
    public static int compare(DataType type, Object a, Object b) {
        return switch (type) {
            case INT8, INT16, INT32, INT64, TIMESTAMP -> Long.compare((Long) a, (Long) b);
            case BOOL -> Boolean.compare((Boolean) a, (Boolean) b);
            case FLOAT -> Float.compare((Float) a, (Float) b);
            case DOUBLE -> Double.compare((Double) a, (Double) b);
            case STRING -> BYTES.compare(ByteString.copyFromUtf8((String) a), ByteString.copyFromUtf8((String) b));
            case BINARY -> BYTES.compare((ByteString) a, (ByteString) b);
            default -> throw new IllegalArgumentException("unknown type " + type);
        };
    }

    /** The bytes a cell takes, as counted against the cell size limit (strings as UTF-8). */
    public static int sizeBytes(DataType type, Object cell) {
        if (cell == null) {
            return 0;
        }
        return switch (type) {
            case STRING -> ((String) cell).getBytes(StandardCharsets.UTF_8).length;
            case BINARY -> ((ByteString) cell).size();
            case INT8, BOOL -> 1;
            case INT16 -> 2;
            case INT32, FLOAT -> 4;
            default -> 8;
        };
    }
}
