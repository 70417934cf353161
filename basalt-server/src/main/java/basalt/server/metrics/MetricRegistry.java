package basalt.server.metrics;

import basalt.common.check.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * The metrics of one server process, by name. Registering a name twice is a bug (two owners of one
 * series) and fails; {@link #families()} is ordered by name so a scrape is stable to read and diff.
 */
public final class MetricRegistry {
    private final Map<String, MetricFamily> families = new ConcurrentSkipListMap<>();

    public Counter counter(String name, String help, String... labelNames) {
        return add(new Counter(name, help, Arrays.asList(labelNames)));
    }

    public Gauge gauge(String name, String help, String... labelNames) {
        return add(new Gauge(name, help, Arrays.asList(labelNames)));
    }

    public Histogram histogram(String name, String help, double[] upperBounds, String... labelNames) {
        return add(new Histogram(name, help, upperBounds, Arrays.asList(labelNames)));
    }

    /** A gauge read at scrape time: {@code callback} reports each series' current value. */
    public CallbackFamily gaugeCallback(String name, String help, List<String> labelNames,
                                        Consumer<CallbackFamily.Values> callback) {
        return add(new CallbackFamily(MetricType.GAUGE, name, help, labelNames, callback));
    }

    /** A counter read at scrape time from a count its owner keeps. */
    public CallbackFamily counterCallback(String name, String help, List<String> labelNames,
                                          Consumer<CallbackFamily.Values> callback) {
        return add(new CallbackFamily(MetricType.COUNTER, name, help, labelNames, callback));
    }

    public List<MetricFamily> families() {
        return new ArrayList<>(families.values());
    }

    private <T extends MetricFamily> T add(T family) {
        MetricFamily before = families.putIfAbsent(family.name(), family);
        Check.arg(before == null, "metric %s is already registered", family.name());
        return family;
    }
}
