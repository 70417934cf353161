package basalt.tablet;

import basalt.proto.ColumnValuePB;
import basalt.proto.DataType;
import basalt.proto.PredicatePB;
import basalt.proto.RowPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;

/**
 * One scan batch of a {@link Tablet} at a snapshot timestamp: key range, projection, predicates, limit and
 * resumption. Request rules (all INVALID_ARGUMENT otherwise): {@code lower_key}/{@code upper_key} set only
 * key columns, and a leading run of them (a key prefix); projection and predicates name existing columns;
 * a comparison predicate has a non-NULL value of the column's type. A predicate never matches NULL except
 * IS_NULL. The batch ends at {@code batch_max_rows} rows (then {@code has_more} is true and
 * {@code last_key} is the encoded key of the last row, to pass back as {@code resume_after_key}) or at
 * {@code limit}.
 */
final class TabletScan {
    private record Predicate(int column, DataType type, PredicatePB.Op op, Object value) {
        boolean matches(Object cell) {
            return switch (op) {
                case IS_NULL -> cell == null;
                case IS_NOT_NULL -> cell != null;
                default -> {
                    if (cell == null) {
                        yield false;
                    }
                    int order = Values.compare(type, cell, value);
                    yield switch (op) {
                        case EQUAL -> order == 0;
                        case LESS -> order < 0;
                        case LESS_EQUAL -> order <= 0;
                        case GREATER -> order > 0;
                        case GREATER_EQUAL -> order >= 0;
                        default -> throw new IllegalStateException("unhandled predicate " + op);
                    };
                }
            };
        }
    }

    private TabletScan() {}

    static ScanResponsePB run(Tablet tablet, ScanRequestPB request, long timestamp, int defaultBatchRows) {
        Schema schema = tablet.schema();
        byte[] lower = request.hasLowerKey() ? encodeBound(schema, request.getLowerKey(), "lower") : null;
        byte[] upper = request.hasUpperKey() ? encodeBound(schema, request.getUpperKey(), "upper") : null;
        int[] projection = projection(schema, request.getProjectionList());
        List<Predicate> predicates = new ArrayList<>();
        for (PredicatePB predicate : request.getPredicatesList()) {
            predicates.add(predicate(schema, predicate));
        }
        if (request.getLimit() < 0 || request.getBatchMaxRows() < 0) {
            throw TabletException.invalid("limit and batch_max_rows must not be negative");
        }
        long limit = request.getLimit() == 0 ? Long.MAX_VALUE : request.getLimit();
        int batchRows = request.getBatchMaxRows() == 0 ? defaultBatchRows : request.getBatchMaxRows();
        byte[] resumeAfter = request.getResumeAfterKey().isEmpty() ? null : request.getResumeAfterKey().toByteArray();

        ScanResponsePB.Builder response = ScanResponsePB.newBuilder().setSnapshotTimestamp(timestamp);
        byte[][] lastKey = new byte[1][];
        boolean[] batchFull = new boolean[1];
        tablet.visibleRows(timestamp, lower, upper, resumeAfter, (key, value) -> {
            Object[] row = RowCodec.decode(schema, value);
            for (Predicate predicate : predicates) {
                if (!predicate.matches(row[predicate.column()])) {
                    return true;
                }
            }
            RowPB.Builder projected = RowPB.newBuilder();
            for (int i = 0; i < projection.length; i++) {
                int column = projection[i];
                projected.addValues(ColumnValuePB.newBuilder().setColumn(i)
                        .setValue(Values.toPB(schema.column(column).type(), row[column])));
            }
            response.addRows(projected);
            lastKey[0] = key;
            if (response.getRowsCount() >= limit) {
                return false;
            }
            if (response.getRowsCount() >= batchRows) {
                batchFull[0] = true;
                return false;
            }
            return true;
        });
        response.setHasMore(batchFull[0]);
        if (lastKey[0] != null) {
            response.setLastKey(ByteString.copyFrom(lastKey[0]));
        }
        return response.build();
    }

    private static byte[] encodeBound(Schema schema, RowPB bound, String which) {
        WriteValidator.Row row;
        try {
            row = WriteValidator.decode(schema, bound);
        } catch (TabletException e) {
            throw TabletException.invalid("%s key: %s", which, e.getMessage());
        }
        int count = 0;
        while (count < schema.keyColumnCount() && row.set()[count]) {
            count++;
        }
        for (int i = 0; i < schema.columnCount(); i++) {
            if (row.set()[i] && (i >= count || row.cells()[i] == null)) {
                throw TabletException.invalid("%s key must set a leading run of key columns with values; "
                        + "column '%s' breaks it", which, schema.column(i).name());
            }
        }
        Object[] values = new Object[count];
        System.arraycopy(row.cells(), 0, values, 0, count);
        return KeyEncoder.encode(schema.keyTypes(), values);
    }

    private static int[] projection(Schema schema, List<String> names) {
        if (names.isEmpty()) {
            int[] all = new int[schema.columnCount()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] projection = new int[names.size()];
        for (int i = 0; i < projection.length; i++) {
            projection[i] = schema.indexOf(names.get(i));
            if (projection[i] < 0) {
                throw TabletException.invalid("projection names unknown column '%s'", names.get(i));
            }
        }
        return projection;
    }

    private static Predicate predicate(Schema schema, PredicatePB predicate) {
        int column = schema.indexOf(predicate.getColumn());
        if (column < 0) {
            throw TabletException.invalid("predicate on unknown column '%s'", predicate.getColumn());
        }
        DataType type = schema.column(column).type();
        PredicatePB.Op op = predicate.getOp();
        if (op == PredicatePB.Op.OP_UNSPECIFIED || op == PredicatePB.Op.UNRECOGNIZED) {
            throw TabletException.invalid("predicate on column '%s' has no operator", predicate.getColumn());
        }
        if (op == PredicatePB.Op.IS_NULL || op == PredicatePB.Op.IS_NOT_NULL) {
            return new Predicate(column, type, op, null);
        }
        Object value;
        try {
            value = Values.fromPB(type, predicate.getValue());
        } catch (TabletException e) {
            throw TabletException.invalid("predicate on column '%s': %s", predicate.getColumn(), e.getMessage());
        }
        if (value == null) {
            throw TabletException.invalid("predicate %s on column '%s' needs a value", op, predicate.getColumn());
        }
        return new Predicate(column, type, op, value);
    }
}
