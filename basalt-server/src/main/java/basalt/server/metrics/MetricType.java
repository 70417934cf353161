package basalt.server.metrics;

/** The Prometheus metric types this package renders ({@code # TYPE} lines). */
public enum MetricType {
    COUNTER, GAUGE, HISTOGRAM;

    String exposition() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
