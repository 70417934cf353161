package basalt.master;

import basalt.proto.HeartbeatRequestPB;
import basalt.proto.PeerPB;
import basalt.proto.TabletReportPB;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a master knows of tablet servers: soft state from heartbeats, which tablet servers send to every
 * master, so a follower holds it too and a new leader can act at once. Only the leader acts on it. A
 * server's first heartbeat carries a full report of its replicas; later ones carry only what changed since
 * the report this master holds, which must be the one the diff is based on, or the content is refused and
 * a full report asked for. Thread-safe.
 */
final class TabletServerRegistry {
    /** One tablet server as last heard; {@code tablets} is read-only and never changes once built. */
    record Entry(PeerPB server, long lastHeartbeatNanos, Map<String, TabletReportPB> tablets, long reportSequence) {}

    /** What a heartbeat did to the registry. */
    enum Outcome {
        /** The report was taken in. */
        APPLIED,
        /** A diff against a report this master does not hold: ignored; the server must send a full one. */
        NEEDS_FULL_REPORT
    }

    private final TreeMap<String, Entry> servers = new TreeMap<>();

    /** Takes in one heartbeat; a server is known (and can be live) only once a full report arrived. */
    synchronized Outcome heartbeat(HeartbeatRequestPB request, long nowNanos) {
        PeerPB server = request.getServer();
        Entry known = servers.get(server.getUuid());
        Map<String, TabletReportPB> tablets;
        if (request.getFullReport()) {
            tablets = merged(Map.of(), request);
        } else if (known == null || known.reportSequence() != request.getBaseSequence()) {
            if (known != null) {
                // Alive; what it hosted at the held report stays the best knowledge until the full report
                // it sends at once.
                servers.put(server.getUuid(), new Entry(server, nowNanos, known.tablets(), known.reportSequence()));
            }
            return Outcome.NEEDS_FULL_REPORT;
        } else if (request.getTabletsCount() == 0 && request.getRemovedTabletIdsCount() == 0) {
            tablets = known.tablets(); // nothing changed: most heartbeats, and no copy
        } else {
            tablets = merged(known.tablets(), request);
        }
        servers.put(server.getUuid(), new Entry(server, nowNanos, tablets, request.getReportSequence()));
        return Outcome.APPLIED;
    }

    /** A new read-only map (entries are shared with readers, so they are never changed in place). */
    private static Map<String, TabletReportPB> merged(Map<String, TabletReportPB> base, HeartbeatRequestPB request) {
        TreeMap<String, TabletReportPB> tablets = new TreeMap<>(base);
        request.getRemovedTabletIdsList().forEach(tablets::remove);
        for (TabletReportPB report : request.getTabletsList()) {
            tablets.put(report.getTablet().getTabletId(), report);
        }
        return Collections.unmodifiableMap(tablets);
    }

    synchronized List<Entry> all() {
        return new ArrayList<>(servers.values());
    }

    synchronized Optional<Entry> get(String uuid) {
        return Optional.ofNullable(servers.get(uuid));
    }

    /** Servers heard from within {@code unresponsiveNanos}. */
    synchronized List<Entry> live(long nowNanos, long unresponsiveNanos) {
        List<Entry> live = new ArrayList<>();
        for (Entry entry : servers.values()) {
            if (nowNanos - entry.lastHeartbeatNanos() <= unresponsiveNanos) {
                live.add(entry);
            }
        }
        return live;
    }

    /** The latest report of {@code tabletId} from server {@code uuid}, if it reported one. */
    synchronized Optional<TabletReportPB> report(String uuid, String tabletId) {
        Entry entry = servers.get(uuid);
        return entry == null ? Optional.empty() : Optional.ofNullable(entry.tablets().get(tabletId));
    }
}
