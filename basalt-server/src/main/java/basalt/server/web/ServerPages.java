package basalt.server.web;

import basalt.consensus.core.NodeId;
import basalt.consensus.driver.GroupDriver;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/** Pages every server has: Raft state of its groups, their WAL, its flags and its recent log lines. */
public final class ServerPages {
    private ServerPages() {}

    /** One row per group: role, term, leader, commit index, last OpId; the id links to {@code detailHref}. */
    public static Html.Raw raftSummary(Collection<GroupDriver> groups, Function<GroupDriver, String> detailHref) {
        Html.Table table = Html.table("raft-groups", "group", "role", "term", "leader", "commit index", "last OpId",
                "applied index", "voters", "learners");
        for (GroupDriver group : groups) {
            GroupDriver.Status status = group.status();
            table.row(Html.link(detailHref.apply(group), group.groupId()), status.role().toUpperCase(java.util.Locale.ROOT),
                    status.term(), status.leaderHint().map(NodeId::value).orElse("(none known)"), status.commitIndex(),
                    status.lastOpId(), status.appliedIndex(), names(status.membership().voters()),
                    names(status.membership().learners()));
        }
        return table.size() == 0 ? Html.paragraph("No Raft groups here.") : table.toHtml();
    }

    /** A group's Raft state, its peers' progress (on a leader), its WAL segments and anchors. */
    public static Html.Raw raftDetail(GroupDriver group) throws IOException {
        GroupDriver.Status status = group.status();
        Html.Table state = Html.table("raft-state", "field", "value")
                .row("group", status.groupId())
                .row("this replica", status.self().value())
                .row("role", status.role().toUpperCase(java.util.Locale.ROOT))
                .row("term", status.term())
                .row("leader", status.leaderHint().map(NodeId::value).orElse("(none known)"))
                .row("leader ready", status.leaderReady())
                .row("commit index", status.commitIndex())
                .row("last OpId", status.lastOpId())
                .row("applied index", status.appliedIndex())
                .row("voters", names(status.membership().voters()))
                .row("learners", names(status.membership().learners()))
                .row("elections started here", group.electionsStarted())
                .row("leader changes seen", group.leaderChanges())
                .row("log cache bytes", status.logCacheBytesUsed());
        Html.Table peers = Html.table("raft-peers", "peer", "match index", "behind (entries)");
        long last = status.lastOpId().index();
        group.peerMatchIndexes().forEach((peer, match) -> peers.row(peer.value(), match, Math.max(0, last - match)));
        return Html.join(state.toHtml(), Html.heading("Peers"),
                peers.size() == 0 ? Html.paragraph("Progress of peers is known on the leader only (refreshed every second).")
                        : peers.toHtml(),
                Html.heading("WAL"), wal(group, status));
    }

    private static Html.Raw wal(GroupDriver group, GroupDriver.Status status) throws IOException {
        Html.Table segments = Html.table("wal-segments", "segment", "bytes");
        Path dir = group.walDir();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.filter(f -> f.getFileName().toString().startsWith("wal-")).sorted().toList()) {
                    segments.row(file.getFileName().toString(), Files.size(file));
                }
            }
        }
        Html.Table anchors = Html.table("wal-anchors", "anchor", "oldest index it needs");
        group.anchors().forEach(anchors::row);
        return Html.join(Html.paragraph("Directory " + dir + "; first index " + status.walFirstIndex() + ", "
                        + status.walSegments() + " segment(s)."), segments.toHtml(),
                Html.paragraph("Anchors (a segment is deleted once every anchor is past it):"), anchors.toHtml());
    }

    /** The server's options (a record: one row per component) and the JVM's arguments. */
    public static Html.Raw flags(Record options) {
        Html.Table table = Html.table("flags", "option", "value");
        for (RecordComponent component : options.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(options);
            } catch (ReflectiveOperationException e) {
                value = "(unreadable: " + e + ")";
            }
            table.row(component.getName(), value);
        }
        List<String> arguments = ProcessHandle.current().info().arguments().map(List::of).orElse(List.of());
        return Html.join(table.toHtml(), Html.heading("Command line"),
                Html.pre(String.join(" ", arguments)));
    }

    /** The newest lines first, up to {@code limit} (the {@code lines} parameter). */
    public static Html.Raw logs(Map<String, String> query) {
        int limit = 200;
        if (query.containsKey("lines")) {
            try {
                limit = Integer.parseInt(query.get("lines"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("lines must be a number, not '" + query.get("lines") + "'");
            }
            if (limit < 1 || limit > RecentLogLines.DEFAULT_CAPACITY) {
                throw new IllegalArgumentException("lines must be 1.." + RecentLogLines.DEFAULT_CAPACITY);
            }
        }
        RecentLogLines ring = RecentLogLines.shared();
        List<String> lines = ring.snapshot();
        if (lines.isEmpty()) {
            return Html.paragraph("No log lines captured (the logging backend is set up by the basalt command).");
        }
        List<String> newest = lines.subList(Math.max(0, lines.size() - limit), lines.size()).reversed();
        return Html.join(Html.paragraph("Newest first; " + newest.size() + " of " + ring.appended()
                + " lines logged since start. The full log is in the data directory's logs/."),
                Html.pre(String.join("\n", newest)));
    }

    private static String names(Collection<NodeId> ids) {
        return ids.isEmpty() ? "-" : String.join(", ", ids.stream().map(NodeId::value).toList());
    }
}
