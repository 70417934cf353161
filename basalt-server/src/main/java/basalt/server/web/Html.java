package basalt.server.web;

import java.util.ArrayList;
import java.util.List;

/**
 * The few HTML pieces the web UI is made of. Everything is escaped unless wrapped in {@link Raw}, so a
 * table named {@code <script>} shows as text: callers must go out of their way to insert markup.
 */
public final class Html {
    private Html() {}

    /** Markup to insert as is: only ever built from escaped parts. */
    public record Raw(String html) {
        @Override
        public String toString() {
            return html;
        }
    }

    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A cell's or paragraph's content: {@link Raw} as is, anything else as escaped text. */
    public static String render(Object content) {
        return content instanceof Raw raw ? raw.html() : escape(String.valueOf(content));
    }

    /** A link; {@code href} is escaped too (it may carry a table name in its query). */
    public static Raw link(String href, Object text) {
        return new Raw("<a href=\"" + escape(href) + "\">" + render(text) + "</a>");
    }

    /** {@code path?name=value} with the value URL-encoded (escape it for HTML with {@link #link}). */
    public static String url(String path, String name, String value) {
        return path + "?" + name + "=" + java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
    }

    public static Raw heading(String text) {
        return new Raw("<h2>" + escape(text) + "</h2>");
    }

    public static Raw paragraph(Object content) {
        return new Raw("<p>" + render(content) + "</p>");
    }

    public static Raw pre(String text) {
        return new Raw("<pre>" + escape(text) + "</pre>");
    }

    /** Concatenates parts, each rendered as {@link #render} does. */
    public static Raw join(Object... parts) {
        StringBuilder out = new StringBuilder();
        for (Object part : parts) {
            out.append(render(part));
        }
        return new Raw(out.toString());
    }

    /** A table with a header row; add rows with {@link Table#row}, then use it as a {@link Raw}. */
    public static Table table(String id, String... headers) {
        return new Table(id, List.of(headers));
    }

    public static final class Table {
        private final String id;
        private final List<String> headers;
        private final List<List<Object>> rows = new ArrayList<>();

        Table(String id, List<String> headers) {
            this.id = id;
            this.headers = headers;
        }

        public Table row(Object... cells) {
            basalt.common.check.Check.arg(cells.length == headers.size(), "table %s has %s columns, row has %s",
                    id, headers.size(), cells.length);
            rows.add(List.of(cells));
            return this;
        }

        public int size() {
            return rows.size();
        }

        public Raw toHtml() {
            StringBuilder out = new StringBuilder("<table id=\"").append(escape(id)).append("\"><tr>");
            headers.forEach(header -> out.append("<th>").append(escape(header)).append("</th>"));
            out.append("</tr>\n");
            for (List<Object> row : rows) {
                out.append("<tr>");
                row.forEach(cell -> out.append("<td>").append(render(cell)).append("</td>"));
                out.append("</tr>\n");
            }
            return new Raw(out.append("</table>\n").toString());
        }

        @Override
        public String toString() {
            return toHtml().html();
        }
    }
}
