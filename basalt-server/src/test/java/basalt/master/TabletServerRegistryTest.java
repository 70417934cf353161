package basalt.master;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.HeartbeatRequestPB;
import basalt.proto.PeerPB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.TabletReportPB;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A master holds each tablet server's replicas from a full report plus the diffs based on it, and nothing else. */
class TabletServerRegistryTest {
    private static final PeerPB TS = PeerPB.newBuilder().setUuid("ts1").build();
    private final TabletServerRegistry registry = new TabletServerRegistry();

    @Test
    void aDiffOnTopOfTheHeldReportChangesAddsAndRemovesReplicas() {
        registry.heartbeat(full(1, report("a", "RUNNING"), report("b", "RUNNING")), 10);
        var outcome = registry.heartbeat(diff(2, 1, List.of(report("a", "LEADING"), report("c", "RUNNING")), List.of("b")), 20);

        assertThat(outcome).isEqualTo(TabletServerRegistry.Outcome.APPLIED);
        assertThat(registry.get("ts1").orElseThrow().tablets().keySet()).containsExactly("a", "c");
        assertThat(registry.report("ts1", "a").orElseThrow().getState()).isEqualTo("LEADING");
        assertThat(registry.get("ts1").orElseThrow().lastHeartbeatNanos()).isEqualTo(20);
    }

    @Test
    void aDiffFromAnUnknownServerIsRefusedAndDoesNotMakeItLive() {
        var outcome = registry.heartbeat(diff(5, 4, List.of(report("a", "RUNNING")), List.of()), 10);

        assertThat(outcome).isEqualTo(TabletServerRegistry.Outcome.NEEDS_FULL_REPORT);
        assertThat(registry.all()).isEmpty();
    }

    @Test
    void aDiffOnAnotherBaseIsRefusedButTheServerStaysLiveWithWhatItHeld() {
        registry.heartbeat(full(1, report("a", "RUNNING")), 10);
        var outcome = registry.heartbeat(diff(3, 2, List.of(), List.of("a")), 20);

        assertThat(outcome).isEqualTo(TabletServerRegistry.Outcome.NEEDS_FULL_REPORT);
        assertThat(registry.get("ts1").orElseThrow().tablets().keySet()).containsExactly("a");
        assertThat(registry.live(25, 10)).hasSize(1);
    }

    @Test
    void aViewTakenBeforeADiffNeverChangesUnderItsReader() {
        registry.heartbeat(full(1, report("a", "RUNNING")), 10);
        var before = registry.get("ts1").orElseThrow().tablets();
        registry.heartbeat(diff(2, 1, List.of(report("b", "RUNNING")), List.of("a")), 20);

        assertThat(before.keySet()).containsExactly("a");
    }

    private static HeartbeatRequestPB full(long sequence, TabletReportPB... reports) {
        return HeartbeatRequestPB.newBuilder().setServer(TS).setFullReport(true).setReportSequence(sequence)
                .addAllTablets(List.of(reports)).build();
    }

    private static HeartbeatRequestPB diff(long sequence, long base, List<TabletReportPB> changed, List<String> removed) {
        return HeartbeatRequestPB.newBuilder().setServer(TS).setReportSequence(sequence).setBaseSequence(base)
                .addAllTablets(changed).addAllRemovedTabletIds(removed).build();
    }

    private static TabletReportPB report(String tabletId, String state) {
        return TabletReportPB.newBuilder().setTablet(TabletMetadataPB.newBuilder().setTabletId(tabletId)).setState(state).build();
    }
}
