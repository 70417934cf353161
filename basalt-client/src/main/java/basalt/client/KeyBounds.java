package basalt.client;

import basalt.proto.ColumnValuePB;
import basalt.proto.DataType;
import basalt.proto.PredicatePB;
import basalt.proto.RowPB;
import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;

/**
 * The primary-key range [lower, upper) a scan's predicates allow, sent with the scan so the tablet seeks
 * to it instead of reading the tablet and filtering every row (a point read of one key reads one row).
 * Bounds only narrow where the tablet looks: the predicates are still sent and still decide every row,
 * so a bound may be looser than the predicates, never tighter.
 *
 * <p>Lower: the leading key columns fixed by EQUAL, then, on the next key column, the value of a
 * GREATER_EQUAL or GREATER (inclusive; GREATER's equal rows are dropped by the predicate). Upper: when at
 * least one leading key column is fixed, the same prefix with its last column's successor, the smallest
 * value greater than it (v + 1; a string or binary value followed by a 0 byte; true after false). A prefix
 * whose last value has no successor (the largest integer, true, floating point) gets no upper bound.
 */
final class KeyBounds {
    record Bounds(Optional<RowPB> lower, Optional<RowPB> upper) {}

    private KeyBounds() {}

    static Bounds of(Schema schema, List<PredicatePB> predicates) {
        RowPB.Builder lower = RowPB.newBuilder();
        Object[] prefix = new Object[schema.keyColumnCount()];
        int fixed = 0;
        while (fixed < schema.keyColumnCount()) {
            Object value = valueOf(schema, predicates, fixed, PredicatePB.Op.EQUAL);
            if (value == null) {
                break;
            }
            prefix[fixed] = value;
            lower.addValues(cell(schema, fixed, value));
            fixed++;
        }
        Optional<RowPB> upper = Optional.empty();
        if (fixed > 0) {
            Object successor = successor(schema.column(fixed - 1).type(), prefix[fixed - 1]);
            if (successor != null) {
                RowPB.Builder upperRow = RowPB.newBuilder();
                for (int i = 0; i < fixed - 1; i++) {
                    upperRow.addValues(cell(schema, i, prefix[i]));
                }
                upper = Optional.of(upperRow.addValues(cell(schema, fixed - 1, successor)).build());
            }
        }
        if (fixed < schema.keyColumnCount()) {
            Object from = valueOf(schema, predicates, fixed, PredicatePB.Op.GREATER_EQUAL);
            if (from == null) {
                from = valueOf(schema, predicates, fixed, PredicatePB.Op.GREATER);
            }
            if (from != null) {
                lower.addValues(cell(schema, fixed, from));
            }
        }
        return new Bounds(lower.getValuesCount() == 0 ? Optional.empty() : Optional.of(lower.build()), upper);
    }

    /** The value of a predicate {@code op} on key column {@code index}, or null when there is none. */
    private static Object valueOf(Schema schema, List<PredicatePB> predicates, int index, PredicatePB.Op op) {
        String name = schema.column(index).name();
        for (PredicatePB predicate : predicates) {
            if (predicate.getOp() == op && predicate.getColumn().equals(name) && predicate.hasValue()) {
                return Cells.fromPB(predicate.getValue());
            }
        }
        return null;
    }

    private static Object successor(DataType type, Object value) {
        return switch (type) {
            case INT8, INT16, INT32, INT64, TIMESTAMP -> {
                long v = (Long) value;
                yield v == Long.MAX_VALUE || !Cells.fits(type, v + 1) ? null : v + 1;
            }
            case STRING -> value + "\u0000";
            case BINARY -> ((ByteString) value).concat(ByteString.copyFrom(new byte[] {0}));
            case BOOL -> (Boolean) value ? null : Boolean.TRUE;
            default -> null; // FLOAT, DOUBLE: no upper bound rather than a subtle one
        };
    }

    private static ColumnValuePB cell(Schema schema, int index, Object value) {
        return ColumnValuePB.newBuilder().setColumn(index).setValue(Cells.toPB(schema.column(index).type(), value)).build();
    }
}
