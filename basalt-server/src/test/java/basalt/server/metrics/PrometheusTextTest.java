package basalt.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    @Test
    void aCounterWithLabelsRendersHelpTypeAndOneLinePerSeries() {
        MetricRegistry registry = new MetricRegistry();
        Counter requests = registry.counter("basalt_rpc_requests_total", "RPCs answered.", "method", "code");
        requests.increment("Write", "OK");
        requests.add(2, "Write", "OK");
        requests.increment("Scan", "UNAVAILABLE");

        assertThat(PrometheusText.render(registry).lines()).containsExactlyInAnyOrder(
                "# HELP basalt_rpc_requests_total RPCs answered.",
                "# TYPE basalt_rpc_requests_total counter",
                "basalt_rpc_requests_total{method=\"Write\",code=\"OK\"} 3",
                "basalt_rpc_requests_total{method=\"Scan\",code=\"UNAVAILABLE\"} 1");
    }

    @Test
    void histogramBucketsAreCumulativeInclusiveAndEndInInf() {
        MetricRegistry registry = new MetricRegistry();
        Histogram fsync = registry.histogram("basalt_wal_fsync_seconds", "fsync time.", new double[] {0.001, 0.01, 0.1});
        fsync.observe(0.0005);
        fsync.observe(0.001); // on a bound: counts in that bucket (le is "less or equal")
        fsync.observe(0.05);
        fsync.observe(3);

        assertThat(PrometheusText.render(registry).lines()).containsExactly(
                "# HELP basalt_wal_fsync_seconds fsync time.",
                "# TYPE basalt_wal_fsync_seconds histogram",
                "basalt_wal_fsync_seconds_bucket{le=\"0.001\"} 2",
                "basalt_wal_fsync_seconds_bucket{le=\"0.01\"} 2",
                "basalt_wal_fsync_seconds_bucket{le=\"0.1\"} 3",
                "basalt_wal_fsync_seconds_bucket{le=\"+Inf\"} 4",
                "basalt_wal_fsync_seconds_sum 3.0515",
                "basalt_wal_fsync_seconds_count 4");
        assertThat(fsync.count()).isEqualTo(4);
    }

    @Test
    void histogramWithLabelsPutsLeLast() {
        MetricRegistry registry = new MetricRegistry();
        Histogram latency = registry.histogram("rpc_seconds", "latency.", new double[] {1}, "method");
        latency.observeNanos(2_500_000_000L, "Write");

        assertThat(PrometheusText.render(registry))
                .contains("rpc_seconds_bucket{method=\"Write\",le=\"1\"} 0\n")
                .contains("rpc_seconds_bucket{method=\"Write\",le=\"+Inf\"} 1\n")
                .contains("rpc_seconds_sum{method=\"Write\"} 2.5\n");
    }

    @Test
    void labelValuesAndHelpAreEscaped() {
        MetricRegistry registry = new MetricRegistry();
        registry.gauge("tables", "Tables\\n of \"the\" catalog\nsecond line", "name").set(1, "a\"b\\c\nd");

        assertThat(PrometheusText.render(registry).lines()).containsExactly(
                "# HELP tables Tables\\\\n of \"the\" catalog\\nsecond line",
                "# TYPE tables gauge",
                "tables{name=\"a\\\"b\\\\c\\nd\"} 1");
    }

    @Test
    void callbacksAreReadAtScrapeTimeAndFamiliesComeInNameOrder() {
        MetricRegistry registry = new MetricRegistry();
        long[] term = {3};
        registry.gaugeCallback("z_raft_term", "term.", List.of("group"), values -> values.report(term[0], "catalog"));
        registry.counterCallback("a_elections_total", "elections.", List.of(), values -> values.report(7));
        registry.gauge("m_special", "special values.", "kind").set(Double.NaN, "nan");

        term[0] = 4;
        String text = PrometheusText.render(registry);

        assertThat(text).contains("z_raft_term{group=\"catalog\"} 4\n", "a_elections_total 7\n",
                "m_special{kind=\"nan\"} NaN\n", "# TYPE a_elections_total counter\n");
        assertThat(text.indexOf("a_elections_total")).isLessThan(text.indexOf("m_special"));
        assertThat(text.indexOf("m_special")).isLessThan(text.indexOf("z_raft_term"));
    }

    @Test
    void valuesPrintLikePrometheusSpellsThem() {
        assertThat(PrometheusText.formatValue(5)).isEqualTo("5");
        assertThat(PrometheusText.formatValue(0.25)).isEqualTo("0.25");
        assertThat(PrometheusText.formatValue(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
        assertThat(PrometheusText.formatValue(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
        assertThat(PrometheusText.formatValue(-2)).isEqualTo("-2");
    }

    @Test
    void badNamesLabelsAndUsesFailWithTheirName() {
        MetricRegistry registry = new MetricRegistry();
        assertThatThrownBy(() -> registry.counter("bad-name", "x")).hasMessageContaining("bad-name");
        assertThatThrownBy(() -> registry.counter("ok", "x", "le")).hasMessageContaining("'le'");
        assertThatThrownBy(() -> registry.histogram("h", "x", new double[] {1, 1})).hasMessageContaining("increase");
        Counter counter = registry.counter("c_total", "x", "method");
        assertThatThrownBy(() -> registry.counter("c_total", "x")).hasMessageContaining("already registered");
        assertThatThrownBy(() -> counter.increment()).hasMessageContaining("takes labels [method]");
        assertThatThrownBy(() -> counter.add(-1, "m")).hasMessageContaining("cannot go down");
    }
}
