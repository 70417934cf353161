package basalt.server.metrics;

import java.util.List;

/**
 * Renders a registry in the Prometheus text exposition format, version 0.0.4: per family a
 * {@code # HELP} and a {@code # TYPE} line, then one {@code name{label="value",...} value} line per
 * sample. Help text escapes backslash and newline; label values also escape the double quote.
 */
public final class PrometheusText {
    /** The Content-Type a scrape answer carries. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusText() {}

    public static String render(MetricRegistry registry) {
        StringBuilder out = new StringBuilder(4096);
        for (MetricFamily family : registry.families()) {
            out.append("# HELP ").append(family.name()).append(' ').append(escapeHelp(family.help())).append('\n');
            out.append("# TYPE ").append(family.name()).append(' ').append(family.type().exposition()).append('\n');
            List<String> names = family.labelNames();
            family.collect((suffix, values, extraLabel, extraValue, value) -> {
                out.append(family.name()).append(suffix);
                if (!names.isEmpty() || extraLabel != null) {
                    out.append('{');
                    for (int i = 0; i < names.size(); i++) {
                        if (i > 0) {
                            out.append(',');
                        }
                        out.append(names.get(i)).append("=\"").append(escapeLabelValue(values.get(i))).append('"');
                    }
                    if (extraLabel != null) {
                        out.append(names.isEmpty() ? "" : ",").append(extraLabel).append("=\"")
                                .append(escapeLabelValue(extraValue)).append('"');
                    }
                    out.append('}');
                }
                out.append(' ').append(formatValue(value)).append('\n');
            });
        }
        return out.toString();
    }

    /** Integral values print without a fraction (counts read naturally); the specials as Prometheus spells them. */
    static String formatValue(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    static String escapeHelp(String text) {
        return text.replace("\\", "\\\\").replace("\n", "\\n");
    }

    static String escapeLabelValue(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
