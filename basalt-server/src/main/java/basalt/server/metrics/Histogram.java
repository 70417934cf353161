package basalt.server.metrics;

import basalt.common.check.Check;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Observations counted into fixed buckets (upper bounds, inclusive, as Prometheus's {@code le}), with
 * their sum and count. Fixed buckets keep an observation to one binary search and one add, and make the
 * series of every server comparable; the price is resolution only at the bounds chosen.
 */
public final class Histogram extends MetricFamily {
    /** Seconds, from 100 µs to 10 s: RPCs, fsyncs and failover phases all fall inside. */
    public static final double[] LATENCY_SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final double[] upperBounds;
    private final Map<List<String>, Series> series = new ConcurrentHashMap<>();

    Histogram(String name, String help, double[] upperBounds, List<String> labelNames) {
        super(name, help, labelNames);
        Check.arg(upperBounds.length > 0, "histogram %s needs at least one bucket", name);
        for (int i = 0; i < upperBounds.length; i++) {
            Check.arg(Double.isFinite(upperBounds[i]), "histogram %s: bucket bound %s is not finite", name,
                    upperBounds[i]);
            Check.arg(i == 0 || upperBounds[i] > upperBounds[i - 1], "histogram %s: bucket bounds %s must increase",
                    name, Arrays.toString(upperBounds));
        }
        this.upperBounds = upperBounds.clone();
    }

    @Override
    public MetricType type() {
        return MetricType.HISTOGRAM;
    }

    public void observe(double value, String... labelValues) {
        Check.arg(!Double.isNaN(value), "histogram %s: cannot observe NaN", name());
        Series one = series.computeIfAbsent(checkedLabelValues(labelValues), key -> new Series(upperBounds.length));
        int bucket = Arrays.binarySearch(upperBounds, value);
        // Not found: -(insertion point) - 1, the first bound above value; beyond the last: the +Inf bucket.
        one.buckets[bucket >= 0 ? bucket : -bucket - 1].increment();
        one.sum.add(value);
    }

    /** Observes a duration given in nanoseconds, in seconds (the Prometheus base unit). */
    public void observeNanos(long nanos, String... labelValues) {
        observe(nanos / 1e9, labelValues);
    }

    public long count(String... labelValues) {
        Series one = series.get(checkedLabelValues(labelValues));
        return one == null ? 0 : Arrays.stream(one.buckets).mapToLong(LongAdder::sum).sum();
    }

    public double sum(String... labelValues) {
        Series one = series.get(checkedLabelValues(labelValues));
        return one == null ? 0 : one.sum.sum();
    }

    @Override
    void collect(SeriesSink sink) {
        series.forEach((labels, one) -> {
            long cumulative = 0;
            for (int i = 0; i <= upperBounds.length; i++) {
                cumulative += one.buckets[i].sum();
                String le = i < upperBounds.length ? PrometheusText.formatValue(upperBounds[i]) : "+Inf";
                sink.sample("_bucket", labels, "le", le, cumulative);
            }
            sink.sample("_sum", labels, null, null, one.sum.sum());
            sink.sample("_count", labels, null, null, cumulative);
        });
    }

    private static final class Series {
        final LongAdder[] buckets; // the last one is +Inf
        final DoubleAdder sum = new DoubleAdder();

        Series(int bounds) {
            buckets = new LongAdder[bounds + 1];
            Arrays.setAll(buckets, i -> new LongAdder());
        }
    }
}
