package basalt.common.history;

import basalt.common.check.Check;
import basalt.common.history.Operation.Function;
import basalt.common.history.Operation.Status;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads and writes histories as the JSON lines of CLI.md (Jepsen's format), one event per line:
 * <pre>
 * {"process":3,"type":"invoke","f":"cas","key":"k1","value":["1","2"],"time":1200}
 * {"process":3,"type":"ok","f":"cas","key":"k1","value":["1","2"],"time":1350}
 * </pre>
 * {@code type} is invoke, ok, fail or info; {@code f} is read, write or cas; for cas {@code value} is
 * {@code [expected, new]}. A read's invoke carries {@code null}; its ok carries the value read.
 *
 * <p>Values are held as strings: a JSON number keeps its literal text, so {@code 5} and {@code "5"}
 * read as the same value, and a value that is a plain integer is written back as a bare number. Other
 * fields are ignored, so the reader accepts lines with extra keys. The JSON parser is minimal and
 * hand-written (no dependency); nesting is bounded.
 *
 * <p>Writing emits each operation as an invoke line and, unless it is INFO without a response time
 * ({@link Operation#NEVER}), a completion line, merged in time order. Reading pairs events per process
 * through {@link History}, so invocations left without completion come back as INFO.
 */
public final class HistoryJson {
    private HistoryJson() {}

    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]{0,17})");
    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    /** How deep arrays and objects may nest; a history line needs 2. */
    private static final int MAX_DEPTH = 8;

    // ---------------------------------------------------------------- writing

    /** The history as JSON lines, each ending in a newline. */
    public static String toJsonLines(List<Operation> operations) {
        StringBuilder out = new StringBuilder();
        try {
            write(operations, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringBuilder does not throw
        }
        return out.toString();
    }

    /** Writes the history as JSON lines; a process's operations must not overlap. */
    public static void write(List<Operation> operations, Appendable out) throws IOException {
        record Line(long time, String json) {}
        Map<Integer, List<Operation>> byProcess = new TreeMap<>();
        for (Operation operation : operations) {
            byProcess.computeIfAbsent(operation.process(), process -> new ArrayList<>()).add(operation);
        }
        // Lines per process in that process's order, then a stable sort by time: equal times keep each
        // process's own order (an ok before the next invoke), which the reader needs to pair them.
        List<Line> lines = new ArrayList<>();
        for (List<Operation> own : byProcess.values()) {
            own.sort(Comparator.comparingLong(Operation::invokeTime));
            for (int i = 0; i < own.size(); i++) {
                Operation operation = own.get(i);
                if (i > 0) {
                    Operation before = own.get(i - 1);
                    Check.arg(before.responseTime() != Operation.NEVER && before.responseTime() <= operation.invokeTime(),
                            "p%s runs two operations at once: %s and %s", operation.process(), before, operation);
                }
                lines.add(new Line(operation.invokeTime(), line(operation, "invoke", inputValue(operation), operation.invokeTime())));
                if (operation.responseTime() != Operation.NEVER) {
                    String completionValue = operation.function() == Function.READ ? jsonValue(operation.output()) : inputValue(operation);
                    String type = operation.status().name().toLowerCase(Locale.ROOT);
                    lines.add(new Line(operation.responseTime(), line(operation, type, completionValue, operation.responseTime())));
                }
            }
        }
        lines.sort(Comparator.comparingLong(Line::time));
        for (Line line : lines) {
            out.append(line.json()).append('\n');
        }
    }

    private static String line(Operation operation, String type, String value, long time) {
        return "{\"process\":" + operation.process()
                + ",\"type\":\"" + type + "\""
                + ",\"f\":\"" + operation.function().name().toLowerCase(Locale.ROOT) + "\""
                + ",\"key\":" + jsonString(operation.key())
                + ",\"value\":" + value
                + ",\"time\":" + time + "}";
    }

    private static String inputValue(Operation operation) {
        return switch (operation.function()) {
            case READ -> "null";
            case WRITE -> jsonValue(operation.value());
            case CAS -> "[" + jsonValue(operation.expected()) + "," + jsonValue(operation.value()) + "]";
        };
    }

    private static String jsonValue(String value) {
        if (value == null) {
            return "null";
        }
        return INTEGER.matcher(value).matches() ? value : jsonString(value);
    }

    private static String jsonString(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    // ---------------------------------------------------------------- reading

    /** Reads a whole history from text. */
    public static List<Operation> parse(String text) {
        try {
            return read(new BufferedReader(new StringReader(text)));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringReader does not throw
        }
    }

    /**
     * Reads JSON lines until the end of {@code reader}; blank lines are skipped.
     *
     * @throws HistoryFormatException naming the line, on malformed JSON, a missing or mistyped field,
     *     or events that do not pair (for example an ok without an invoke)
     */
    public static List<Operation> read(BufferedReader reader) throws IOException {
        History history = new History();
        Map<Integer, Function> outstanding = new TreeMap<>();
        int lineNumber = 0;
        for (String text = reader.readLine(); text != null; text = reader.readLine()) {
            lineNumber++;
            if (text.isBlank()) {
                continue;
            }
            try {
                readEvent(text, history, outstanding);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new HistoryFormatException(lineNumber, e.getMessage(), e);
            }
        }
        return history.operations();
    }

    private static void readEvent(String text, History history, Map<Integer, Function> outstanding) {
        Map<String, Object> fields = new Parser(text).document();
        int process = Math.toIntExact(integerField(fields, "process"));
        String type = stringField(fields, "type");
        Function function = switch (stringField(fields, "f")) {
            case "read" -> Function.READ;
            case "write" -> Function.WRITE;
            case "cas" -> Function.CAS;
            default -> throw new IllegalArgumentException("unsupported f \"" + fields.get("f") + "\" (read, write or cas)");
        };
        Object key = fields.get("key");
        Check.arg(key instanceof String || key instanceof JsonNumber, "\"key\" must be a string, was %s", describe(key));
        long time = integerField(fields, "time");
        Check.arg(fields.containsKey("value"), "missing \"value\"");
        Object value = fields.get("value");
        if (!type.equals("invoke")) {
            Function invoked = outstanding.remove(process);
            Check.arg(invoked == null || invoked == function, "p%s: %s of %s but %s was invoked",
                    process, type, function, invoked);
        }
        switch (type) {
            case "invoke" -> {
                String keyText = scalar(key, "key");
                if (function == Function.CAS) {
                    Check.arg(value instanceof List<?> pair && pair.size() == 2,
                            "a cas value must be [expected, new], was %s", describe(value));
                    List<?> pair = (List<?>) value;
                    history.invokeCas(process, keyText, scalar(pair.get(0), "expected"), scalar(pair.get(1), "new"), time);
                } else {
                    history.invoke(process, function, keyText, function == Function.READ ? null : scalar(value, "value"), time);
                }
                outstanding.put(process, function);
            }
            case "ok" -> history.ok(process, function == Function.READ ? scalar(value, "value") : null, time);
            case "fail" -> history.fail(process, time);
            case "info" -> history.info(process, time);
            default -> throw new IllegalArgumentException("unsupported type \"" + type + "\" (invoke, ok, fail or info)");
        }
    }

    private static long integerField(Map<String, Object> fields, String name) {
        Object field = fields.get(name);
        Check.arg(field instanceof JsonNumber number && INTEGER.matcher(number.literal()).matches(),
                "\"%s\" must be an integer, was %s", name, describe(field));
        return Long.parseLong(((JsonNumber) field).literal());
    }

    private static String stringField(Map<String, Object> fields, String name) {
        Object field = fields.get(name);
        Check.arg(field instanceof String, "\"%s\" must be a string, was %s", name, describe(field));
        return (String) field;
    }

    /** A value: null, a string, or a number's literal text. */
    private static String scalar(Object value, String name) {
        return switch (value) {
            case null -> null;
            case String text -> text;
            case JsonNumber number -> number.literal();
            default -> throw new IllegalArgumentException(
                    "\"" + name + "\" must be null, a number or a string, was " + describe(value));
        };
    }

    private static String describe(Object value) {
        return switch (value) {
            case null -> "missing or null";
            case String text -> "the string " + jsonString(text);
            case JsonNumber number -> "the number " + number.literal();
            case Boolean bool -> bool.toString();
            case List<?> list -> "an array of " + list.size();
            default -> "an object";
        };
    }

    /** A JSON number, kept as written. */
    private record JsonNumber(String literal) {}

    /** A minimal recursive-descent JSON parser for one line holding one object. */
    private static final class Parser {
        private final String text;
        private int position;

        Parser(String text) {
            this.text = text;
        }

        Map<String, Object> document() {
            skipSpace();
            Check.arg(peek() == '{', "expected a JSON object at column %s", position + 1);
            Map<String, Object> object = object(1);
            skipSpace();
            Check.arg(position == text.length(), "unexpected text after the object at column %s", position + 1);
            return object;
        }

        private Object value(int depth) {
            Check.arg(depth <= MAX_DEPTH, "nested deeper than %s at column %s", MAX_DEPTH, position + 1);
            skipSpace();
            char c = peek();
            if (c == '{') {
                return object(depth);
            } else if (c == '[') {
                return array(depth);
            } else if (c == '"') {
                return string();
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                return number();
            } else if (text.startsWith("null", position)) {
                position += 4;
                return null;
            } else if (text.startsWith("true", position)) {
                position += 4;
                return Boolean.TRUE;
            } else if (text.startsWith("false", position)) {
                position += 5;
                return Boolean.FALSE;
            }
            throw new IllegalArgumentException("expected a JSON value at column " + (position + 1) + found());
        }

        private Map<String, Object> object(int depth) {
            expect('{');
            Map<String, Object> object = new LinkedHashMap<>();
            skipSpace();
            if (peek() == '}') {
                position++;
                return object;
            }
            while (true) {
                skipSpace();
                Check.arg(peek() == '"', "expected a field name at column %s%s", position + 1, found());
                String name = string();
                Check.arg(!object.containsKey(name), "field \"%s\" appears twice", name);
                skipSpace();
                expect(':');
                object.put(name, value(depth + 1));
                skipSpace();
                if (peek() == ',') {
                    position++;
                } else {
                    Check.arg(peek() == '}', "expected ',' or '}' at column %s%s", position + 1, found());
                    position++;
                    return object;
                }
            }
        }

        private List<Object> array(int depth) {
            expect('[');
            List<Object> array = new ArrayList<>();
            skipSpace();
            if (peek() == ']') {
                position++;
                return array;
            }
            while (true) {
                array.add(value(depth + 1));
                skipSpace();
                if (peek() == ',') {
                    position++;
                } else {
                    Check.arg(peek() == ']', "expected ',' or ']' at column %s%s", position + 1, found());
                    position++;
                    return array;
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                Check.arg(position < text.length(), "unterminated string");
                char c = text.charAt(position++);
                if (c == '"') {
                    return out.toString();
                } else if (c == '\\') {
                    Check.arg(position < text.length(), "unterminated string");
                    char escaped = text.charAt(position++);
                    switch (escaped) {
                        case '"', '\\', '/' -> out.append(escaped);
                        case 'b' -> out.append('\b');
                        case 'f' -> out.append('\f');
                        case 'n' -> out.append('\n');
                        case 'r' -> out.append('\r');
                        case 't' -> out.append('\t');
                        case 'u' -> {
                            Check.arg(position + 4 <= text.length(), "short \\u escape at column %s", position);
                            try {
                                out.append((char) Integer.parseInt(text.substring(position, position + 4), 16));
                            } catch (NumberFormatException e) {
                                throw new IllegalArgumentException("bad \\u escape at column " + position, e);
                            }
                            position += 4;
                        }
                        default -> throw new IllegalArgumentException(
                                "bad escape \\" + escaped + " at column " + (position - 1));
                    }
                } else {
                    Check.arg(c >= 0x20, "control character in a string at column %s", position);
                    out.append(c);
                }
            }
        }

        private JsonNumber number() {
            int start = position;
            while (position < text.length() && "+-0123456789.eE".indexOf(text.charAt(position)) >= 0) {
                position++;
            }
            String literal = text.substring(start, position);
            Check.arg(NUMBER.matcher(literal).matches(), "bad number %s at column %s", literal, start + 1);
            return new JsonNumber(literal);
        }

        private void expect(char c) {
            Check.arg(peek() == c, "expected '%s' at column %s%s", c, position + 1, found());
            position++;
        }

        private char peek() {
            return position < text.length() ? text.charAt(position) : '\0';
        }

        private String found() {
            return position < text.length() ? ", found '" + text.charAt(position) + "'" : ", found the end of the line";
        }

        private void skipSpace() {
            while (position < text.length() && Character.isWhitespace(text.charAt(position))) {
                position++;
            }
        }
    }
}
