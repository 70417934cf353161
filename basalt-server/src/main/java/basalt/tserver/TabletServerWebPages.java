package basalt.tserver;

import basalt.server.metrics.MetricRegistry;
import basalt.server.web.Html;
import basalt.server.web.ServerPages;
import basalt.server.web.WebServer;
import java.util.List;
import java.util.Map;

/** A tablet server's web UI: its tablets and their Raft state and WAL, its flags, logs and metrics. */
final class TabletServerWebPages {
    private TabletServerWebPages() {}

    static WebServer create(String title, MetricRegistry metrics, TabletManager tablets, TabletServerOptions options) {
        return new WebServer(title, metrics)
                .page("/", "Tablets", query -> tabletList(tablets))
                .detailPage("/tablet", "Tablet", query -> tablet(tablets, query))
                .page("/flags", "Flags", query -> ServerPages.flags(options))
                .page("/logs", "Logs", ServerPages::logs);
    }

    private static Html.Raw tabletList(TabletManager tablets) {
        List<TabletReplica> all = tablets.all();
        Html.Table states = Html.table("tablet-states", "tablet", "table", "state");
        all.forEach(replica -> states.row(replica.tabletId(), replica.tablet().metadata().getTableId(), replica.state()));
        return Html.join(Html.paragraph(all.size() + " tablet replica(s) on this server."),
                ServerPages.raftSummary(all.stream().map(TabletReplica::driver).toList(),
                        group -> Html.url("/tablet", "id", group.groupId())),
                Html.heading("Tablet states"), states.toHtml());
    }

    private static Html.Raw tablet(TabletManager tablets, Map<String, String> query) throws java.io.IOException {
        String id = query.get("id");
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("the tablet page needs ?id=TABLET_ID");
        }
        TabletReplica replica = tablets.lookup(id).orElseThrow(() ->
                new IllegalArgumentException("no replica of tablet " + id + " on this server"));
        return Html.join(Html.paragraph("Tablet " + id + " of table " + replica.tablet().metadata().getTableId() + ", state "
                + replica.state()), ServerPages.raftDetail(replica.driver()));
    }
}
