package basalt.client;

import basalt.proto.DataType;
import basalt.proto.PredicatePB;
import basalt.proto.ValuePB;
import com.google.protobuf.ByteString;

/**
 * A filter on one column, evaluated by the tablet servers: a comparison with a value (never matching
 * NULL), IS NULL or IS NOT NULL. Values are Java values: any integer type ({@code Long}, {@code Integer},
 * ...) for integer and TIMESTAMP columns, {@code Boolean}, {@code Float}, {@code Double}, {@code String},
 * {@code byte[]}; the type is checked against the column when the scanner is built.
 */
public final class ColumnPredicate {
    public enum ComparisonOp { EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL }

    private final String column;
    private final PredicatePB.Op op;
    private final Object value;

    private ColumnPredicate(String column, PredicatePB.Op op, Object value) {
        this.column = column;
        this.op = op;
        this.value = value;
    }

    public static ColumnPredicate comparison(String column, ComparisonOp op, Object value) {
        if (value == null) {
            throw new IllegalArgumentException("a comparison on column '" + column + "' needs a value; use isNull");
        }
        return new ColumnPredicate(column, PredicatePB.Op.valueOf(op.name()), value);
    }

    public static ColumnPredicate isNull(String column) {
        return new ColumnPredicate(column, PredicatePB.Op.IS_NULL, null);
    }

    public static ColumnPredicate isNotNull(String column) {
        return new ColumnPredicate(column, PredicatePB.Op.IS_NOT_NULL, null);
    }

    PredicatePB toPB(Schema schema) {
        int index = schema.indexOrThrow(column);
        PredicatePB.Builder pb = PredicatePB.newBuilder().setColumn(column).setOp(op);
        if (value != null) {
            pb.setValue(valuePB(schema.column(index).type()));
        }
        return pb.build();
    }

    private ValuePB valuePB(DataType type) {
        ValuePB.Builder pb = ValuePB.newBuilder();
        switch (type) {
            case INT8, INT16, INT32, INT64, TIMESTAMP -> {
                if (!(value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte)) {
                    throw mismatch(type);
                }
                return pb.setIntValue(((Number) value).longValue()).build();
            }
            case BOOL -> {
                if (!(value instanceof Boolean b)) {
                    throw mismatch(type);
                }
                return pb.setBoolValue(b).build();
            }
            case FLOAT -> {
                if (!(value instanceof Float f)) {
                    throw mismatch(type);
                }
                return pb.setFloatValue(f).build();
            }
            case DOUBLE -> {
                if (!(value instanceof Double d)) {
                    throw mismatch(type);
                }
                return pb.setDoubleValue(d).build();
            }
            case STRING -> {
                if (!(value instanceof String s)) {
                    throw mismatch(type);
                }
                return pb.setStringValue(s).build();
            }
            case BINARY -> {
                if (!(value instanceof byte[] bytes)) {
                    throw mismatch(type);
                }
                return pb.setBinaryValue(ByteString.copyFrom(bytes)).build();
            }
            default -> throw mismatch(type);
        }
    }

    private IllegalArgumentException mismatch(DataType type) {
        return new IllegalArgumentException("predicate on column '" + column + "' of type " + type + " has a "
                + value.getClass().getSimpleName() + " value");
    }

    @Override
    public String toString() {
        return column + " " + op + (value == null ? "" : " " + value);
    }
}
