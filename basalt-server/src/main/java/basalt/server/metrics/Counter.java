package basalt.server.metrics;

import basalt.common.check.Check;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** A monotonically increasing count, one series per combination of label values. */
public final class Counter extends MetricFamily {
    private final Map<List<String>, LongAdder> series = new ConcurrentHashMap<>();

    Counter(String name, String help, List<String> labelNames) {
        super(name, help, labelNames);
    }

    @Override
    public MetricType type() {
        return MetricType.COUNTER;
    }

    public void increment(String... labelValues) {
        add(1, labelValues);
    }

    public void add(long amount, String... labelValues) {
        Check.arg(amount >= 0, "counter %s cannot go down by %s", name(), amount);
        series.computeIfAbsent(checkedLabelValues(labelValues), key -> new LongAdder()).add(amount);
    }

    public long value(String... labelValues) {
        LongAdder adder = series.get(checkedLabelValues(labelValues));
        return adder == null ? 0 : adder.sum();
    }

    @Override
    void collect(SeriesSink sink) {
        series.forEach((labels, adder) -> sink.sample("", labels, null, null, adder.sum()));
    }
}
