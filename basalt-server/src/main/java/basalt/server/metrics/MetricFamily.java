package basalt.server.metrics;

import basalt.common.check.Check;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One named metric with its help text and label names; its series are rendered by {@link PrometheusText}.
 * Names and label names are checked once, here, so a typo fails at start-up rather than producing a
 * scrape that Prometheus rejects.
 */
public abstract sealed class MetricFamily permits Counter, Gauge, Histogram, CallbackFamily {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final String name;
    private final String help;
    private final List<String> labelNames;

    MetricFamily(String name, String help, List<String> labelNames) {
        Check.arg(name != null && NAME.matcher(name).matches(), "metric name '%s' is not a Prometheus name", name);
        Check.arg(help != null && !help.isBlank(), "metric %s needs a help text", name);
        for (String label : labelNames) {
            Check.arg(LABEL.matcher(label).matches() && !label.startsWith("__") && !label.equals("le"),
                    "label name '%s' of metric %s is not allowed", label, name);
        }
        Check.arg(labelNames.stream().distinct().count() == labelNames.size(), "metric %s repeats a label name %s",
                name, labelNames);
        this.name = name;
        this.help = help;
        this.labelNames = List.copyOf(labelNames);
    }

    public final String name() {
        return name;
    }

    public final String help() {
        return help;
    }

    public final List<String> labelNames() {
        return labelNames;
    }

    public abstract MetricType type();

    /** Emits every series of this family, each with its label values in {@link #labelNames()} order. */
    abstract void collect(SeriesSink sink);

    final List<String> checkedLabelValues(String... values) {
        Check.arg(values.length == labelNames.size(), "metric %s takes labels %s, got %s values", name, labelNames,
                values.length);
        for (String value : values) {
            Check.arg(value != null, "metric %s: a label value is null", name);
        }
        return List.of(values);
    }

    /** Where a family writes its samples while being rendered. */
    interface SeriesSink {
        /** One sample: {@code suffix} ("" or "_bucket", "_sum", "_count"), label values, then an extra label. */
        void sample(String suffix, List<String> labelValues, String extraLabel, String extraValue, double value);
    }
}
