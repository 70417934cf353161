package basalt.master;

import basalt.consensus.driver.GroupDriver;
import basalt.master.catalog.CatalogStateMachine;
import basalt.server.metrics.Histogram;
import basalt.server.metrics.MetricRegistry;
import basalt.server.metrics.RaftMetrics;
import java.util.List;

/**
 * A master's own metrics: the catalog group's Raft state, catalog sizes (every master applies the
 * catalog, so every master reports them), and the phases of each failover this master won.
 */
final class MasterMetrics {
    private MasterMetrics() {}

    static void register(MetricRegistry registry, GroupDriver catalogGroup, CatalogStateMachine catalog,
                         CatalogManager catalogManager) {
        RaftMetrics.register(registry, () -> List.of(catalogGroup));
        registry.gaugeCallback("basalt_catalog_tables", "Tables in the catalog, deleting ones included.", List.of(),
                values -> values.report(catalog.read(state -> state.tables().size())));
        registry.gaugeCallback("basalt_catalog_tablets", "Tablets in the catalog.", List.of(),
                values -> values.report(catalog.read(state -> state.tabletCount())));
        double[] buckets = Histogram.LATENCY_SECONDS;
        Histogram detection = registry.histogram("basalt_master_failover_detection_seconds",
                "Failovers this master won: from the last append of the old leader to this master's election start.",
                buckets);
        Histogram election = registry.histogram("basalt_master_failover_election_seconds",
                "Failovers this master won: from its election start to winning.", buckets);
        Histogram leaderReady = registry.histogram("basalt_master_failover_leader_ready_seconds",
                "Failovers this master won: from winning to applying its term's first entry and serving.", buckets);
        Histogram rehomed = registry.histogram("basalt_master_failover_tservers_rehomed_seconds",
                "Failovers this master won: from serving until every live tablet server heartbeated to it.", buckets);
        Histogram total = registry.histogram("basalt_master_failover_total_seconds",
                "Failovers this master won: the sum of the four phases.", buckets);
        catalogManager.onFailover((failover, rehomedNanos) -> {
            detection.observeNanos(failover.detectionNanos());
            election.observeNanos(failover.electionNanos());
            leaderReady.observeNanos(failover.leaderReadyNanos());
            rehomed.observeNanos(rehomedNanos);
            total.observeNanos(failover.detectionNanos() + failover.electionNanos() + failover.leaderReadyNanos()
                    + rehomedNanos);
        });
    }
}
