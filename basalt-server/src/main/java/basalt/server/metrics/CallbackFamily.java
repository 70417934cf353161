package basalt.server.metrics;

import java.util.List;
import java.util.function.Consumer;

/**
 * A counter or gauge whose values are read at scrape time from the code that owns them (a Raft group's
 * term, the catalog's table count), so nothing is pushed on the hot path and nothing goes stale.
 */
public final class CallbackFamily extends MetricFamily {
    private final MetricType type;
    private final Consumer<Values> callback;

    CallbackFamily(MetricType type, String name, String help, List<String> labelNames, Consumer<Values> callback) {
        super(name, help, labelNames);
        basalt.common.check.Check.arg(type != MetricType.HISTOGRAM, "metric %s: a callback gives counters or gauges",
                name);
        this.type = type;
        this.callback = callback;
    }

    @Override
    public MetricType type() {
        return type;
    }

    @Override
    void collect(SeriesSink sink) {
        callback.accept((value, labelValues) -> sink.sample("", checkedLabelValues(labelValues), null, null, value));
    }

    /** What a callback reports its current values to. */
    @FunctionalInterface
    public interface Values {
        void report(double value, String... labelValues);
    }
}
