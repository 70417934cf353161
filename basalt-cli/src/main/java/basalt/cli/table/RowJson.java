package basalt.cli.table;

import basalt.proto.ColumnValuePB;
import basalt.proto.RowPB;
import basalt.tablet.ColumnSchema;
import basalt.tablet.Schema;
import basalt.tablet.Values;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import java.math.BigDecimal;
import java.util.Base64;
import java.util.Map;

/**
 * Rows as JSON objects keyed by column name. JSON numbers go to numeric columns (integers only to the
 * integer types and TIMESTAMP, in microseconds), strings to STRING, base64 strings to BINARY, true/false to
 * BOOL, null to NULL. Anything else is an IllegalArgumentException naming the column and the value.
 */
public final class RowJson {
    private RowJson() {}

    /** Cells in schema order from a JSON object; {@code set[i]} tells whether the object named column i. */
    public record Cells(Object[] cells, boolean[] set) {
        public RowPB toPB(Schema schema) {
            RowPB.Builder row = RowPB.newBuilder();
            for (int i = 0; i < cells.length; i++) {
                if (set[i]) {
                    row.addValues(ColumnValuePB.newBuilder().setColumn(i).setValue(Values.toPB(schema.column(i).type(), cells[i])));
                }
            }
            return row.build();
        }
    }

    public static Cells parse(Schema schema, String json) {
        JsonElement parsed;
        try {
            parsed = JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("not a JSON object: " + json + " (" + rootCause(e) + ")");
        }
        if (!parsed.isJsonObject()) {
            throw new IllegalArgumentException("a row is a JSON object like {\"id\": 1}, not " + json);
        }
        Object[] cells = new Object[schema.columnCount()];
        boolean[] set = new boolean[schema.columnCount()];
        for (Map.Entry<String, JsonElement> field : parsed.getAsJsonObject().entrySet()) {
            int index = schema.indexOf(field.getKey());
            if (index < 0) {
                throw new IllegalArgumentException("no column '" + field.getKey() + "' (columns: "
                        + String.join(", ", schema.columns().stream().map(ColumnSchema::name).toList()) + ")");
            }
            cells[index] = cell(schema.column(index), field.getValue());
            set[index] = true;
        }
        return new Cells(cells, set);
    }

    private static Object cell(ColumnSchema column, JsonElement value) {
        if (value.isJsonNull()) {
            return null;
        }
        String problem = "column '" + column.name() + "' is " + column.type() + ", so " + value + " does not fit";
        if (!value.isJsonPrimitive()) {
            throw new IllegalArgumentException(problem);
        }
        JsonPrimitive primitive = value.getAsJsonPrimitive();
        try {
            return switch (column.type()) {
                case INT8, INT16, INT32, INT64, TIMESTAMP -> {
                    if (!primitive.isNumber()) {
                        throw new IllegalArgumentException(problem);
                    }
                    yield new BigDecimal(primitive.getAsString()).longValueExact();
                }
                case FLOAT, DOUBLE -> {
                    if (!primitive.isNumber()) {
                        throw new IllegalArgumentException(problem);
                    }
                    yield column.type() == basalt.proto.DataType.FLOAT ? (Object) primitive.getAsFloat() : primitive.getAsDouble();
                }
                case BOOL -> {
                    if (!primitive.isBoolean()) {
                        throw new IllegalArgumentException(problem);
                    }
                    yield primitive.getAsBoolean();
                }
                case STRING -> {
                    if (!primitive.isString()) {
                        throw new IllegalArgumentException(problem);
                    }
                    yield primitive.getAsString();
                }
                case BINARY -> {
                    if (!primitive.isString()) {
                        throw new IllegalArgumentException(problem + " (BINARY takes a base64 string)");
                    }
                    yield ByteString.copyFrom(Base64.getDecoder().decode(primitive.getAsString()));
                }
                default -> throw new IllegalArgumentException(problem);
            };
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(problem + " (not an integer in range)");
        }
    }

    /** A scanned row (values in schema order, as a scan without projection returns them) as a JSON object. */
    public static JsonObject render(Schema schema, RowPB row) {
        JsonObject object = new JsonObject();
        for (ColumnValuePB value : row.getValuesList()) {
            ColumnSchema column = schema.column(value.getColumn());
            Object cell = Values.fromPB(column.type(), value.getValue());
            object.add(column.name(), json(cell));
        }
        return object;
    }

    static JsonElement json(Object cell) {
        if (cell == null) {
            return JsonNull.INSTANCE;
        } else if (cell instanceof Number number) {
            return new JsonPrimitive(number);
        } else if (cell instanceof Boolean bool) {
            return new JsonPrimitive(bool);
        } else if (cell instanceof ByteString bytes) {
            return new JsonPrimitive(Base64.getEncoder().encodeToString(bytes.toByteArray()));
        }
        return new JsonPrimitive(cell.toString());
    }

    private static String rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }
}
