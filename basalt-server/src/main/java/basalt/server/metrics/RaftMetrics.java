package basalt.server.metrics;

import basalt.consensus.driver.GroupDriver;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Per Raft group hosted here (label {@code group}: "catalog" or a tablet id), read from each driver at
 * scrape time: term, commit and last index, whether this replica leads, elections started, leader changes,
 * and, on a leader, how many entries each follower is behind ({@code peer}: the follower's uuid).
 */
public final class RaftMetrics {
    private RaftMetrics() {}

    public static void register(MetricRegistry registry, Supplier<Collection<GroupDriver>> groups) {
        List<String> group = List.of("group");
        registry.gaugeCallback("basalt_raft_term", "Current Raft term of this replica.", group,
                values -> groups.get().forEach(g -> values.report(g.status().term(), g.groupId())));
        registry.gaugeCallback("basalt_raft_commit_index", "Highest log index this replica knows committed.", group,
                values -> groups.get().forEach(g -> values.report(g.status().commitIndex(), g.groupId())));
        registry.gaugeCallback("basalt_raft_last_index", "Index of the last entry in this replica's log.", group,
                values -> groups.get().forEach(g -> values.report(g.status().lastOpId().index(), g.groupId())));
        registry.gaugeCallback("basalt_raft_is_leader", "1 when this replica leads its group, else 0.", group,
                values -> groups.get().forEach(g -> values.report(g.status().role().equals("leader") ? 1 : 0,
                        g.groupId())));
        registry.counterCallback("basalt_raft_elections_started_total",
                "Elections this replica started (became candidate).", group,
                values -> groups.get().forEach(g -> values.report(g.electionsStarted(), g.groupId())));
        registry.counterCallback("basalt_raft_leader_changes_total",
                "Times the leader this replica knows of changed.", group,
                values -> groups.get().forEach(g -> values.report(g.leaderChanges(), g.groupId())));
        registry.gaugeCallback("basalt_raft_follower_lag_entries",
                "On a leader: entries between its last index and each follower's match index.", List.of("group", "peer"),
                values -> groups.get().forEach(g -> {
                    long last = g.status().lastOpId().index();
                    g.peerMatchIndexes().forEach((peer, match) ->
                            values.report(Math.max(0, last - match), g.groupId(), peer.value()));
                }));
    }
}
