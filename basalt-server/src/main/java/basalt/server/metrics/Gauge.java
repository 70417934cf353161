package basalt.server.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A value that goes up and down and is set by the code that knows it (see {@link CallbackFamily} for read-at-scrape). */
public final class Gauge extends MetricFamily {
    private final Map<List<String>, AtomicLong> series = new ConcurrentHashMap<>(); // Double bits

    Gauge(String name, String help, List<String> labelNames) {
        super(name, help, labelNames);
    }

    @Override
    public MetricType type() {
        return MetricType.GAUGE;
    }

    public void set(double value, String... labelValues) {
        series.computeIfAbsent(checkedLabelValues(labelValues), key -> new AtomicLong())
                .set(Double.doubleToRawLongBits(value));
    }

    public double value(String... labelValues) {
        AtomicLong bits = series.get(checkedLabelValues(labelValues));
        return bits == null ? 0 : Double.longBitsToDouble(bits.get());
    }

    @Override
    void collect(SeriesSink sink) {
        series.forEach((labels, bits) -> sink.sample("", labels, null, null, Double.longBitsToDouble(bits.get())));
    }
}
