package basalt.master;

import basalt.proto.PeerPB;
import basalt.proto.TabletReportPB;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a master knows of tablet servers: soft state from heartbeats, which tablet servers send to every
 * master, so a follower holds it too and a new leader can act at once. Only the leader acts on it. Each
 * server's latest full report says which replicas it hosts and their Raft state. Thread-safe.
 */
final class TabletServerRegistry {
    /** One tablet server as last heard. */
    record Entry(PeerPB server, long lastHeartbeatNanos, Map<String, TabletReportPB> tablets) {}

    private final TreeMap<String, Entry> servers = new TreeMap<>();

    synchronized void heartbeat(PeerPB server, List<TabletReportPB> reports, long nowNanos) {
        Map<String, TabletReportPB> tablets = new TreeMap<>();
        for (TabletReportPB report : reports) {
            tablets.put(report.getTablet().getTabletId(), report);
        }
        servers.put(server.getUuid(), new Entry(server, nowNanos, tablets));
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
