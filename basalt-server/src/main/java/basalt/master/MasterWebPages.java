package basalt.master;

import basalt.common.net.HostPort;
import basalt.consensus.driver.GroupDriver;
import basalt.proto.ErrorPB;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListMastersResponsePB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.ListTabletServersRequestPB;
import basalt.proto.ListTabletServersResponsePB;
import basalt.proto.MasterEntryPB;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.ServerStatusRequestPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TableEntryPB;
import basalt.proto.TabletLocationPB;
import basalt.proto.TabletServerEntryPB;
import basalt.proto.TabletServerServiceGrpc;
import basalt.server.metrics.MetricRegistry;
import basalt.server.web.Html;
import basalt.server.web.ServerPages;
import basalt.server.web.WebServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A master's web UI. The catalog pages answer through the master's own RPC handlers, called in-process,
 * so the UI shows exactly what a client would be told; on a follower they say who leads and link there.
 * The masters page asks every other master for its web address (GetStatus, a short deadline) to link it.
 */
final class MasterWebPages {
    private static final long PEER_STATUS_DEADLINE_MS = 300;

    private final MasterServiceImpl service;
    private final GroupDriver catalogGroup;
    private final MasterServerOptions options;

    private MasterWebPages(MasterServiceImpl service, GroupDriver catalogGroup, MasterServerOptions options) {
        this.service = service;
        this.catalogGroup = catalogGroup;
        this.options = options;
    }

    static WebServer create(String title, MetricRegistry metrics, MasterServiceImpl service, GroupDriver catalogGroup,
                            MasterServerOptions options) {
        MasterWebPages pages = new MasterWebPages(service, catalogGroup, options);
        return new WebServer(title, metrics)
                .page("/", "Masters", query -> pages.masters())
                .page("/tablet-servers", "Tablet servers", query -> pages.tabletServers())
                .page("/tables", "Tables", query -> pages.tables())
                .detailPage("/table", "Table", pages::table)
                .page("/catalog", "Catalog Raft state", query -> ServerPages.raftDetail(catalogGroup))
                .page("/flags", "Flags", query -> ServerPages.flags(options))
                .page("/logs", "Logs", ServerPages::logs);
    }

    private Html.Raw masters() {
        ListMastersResponsePB list = call(observer -> service.listMasters(ListMastersRequestPB.getDefaultInstance(), observer));
        Html.Table table = Html.table("masters", "uuid", "rpc address", "role", "term", "web UI");
        for (MasterEntryPB master : list.getMastersList()) {
            HostPort rpc = new HostPort(master.getRpcAddress().getHost(), master.getRpcAddress().getPort());
            boolean self = master.getUuid().equals(catalogGroup.self().value());
            Object web = self ? "(this master)" : webAddressOf(rpc)
                    .<Object>map(address -> Html.link("http://" + address + "/", "http://" + address + "/"))
                    .orElse("(no answer)");
            table.row(master.getUuid(), rpc, master.getRole(), master.getTerm(), web);
        }
        return table.toHtml();
    }

    private Html.Raw tabletServers() {
        ListTabletServersResponsePB list = call(observer ->
                service.listTabletServers(ListTabletServersRequestPB.getDefaultInstance(), observer));
        if (list.hasError()) {
            return notServed(list.getError());
        }
        Html.Table table = Html.table("tablet-servers", "uuid", "rpc address", "live", "last heartbeat (ms ago)",
                "replicas");
        for (TabletServerEntryPB server : list.getServersList()) {
            table.row(server.getServer().getUuid(), server.getServer().getAddress().getHost() + ":"
                            + server.getServer().getAddress().getPort(), server.getLive() ? "LIVE" : "DEAD",
                    server.getMillisSinceHeartbeat(), server.getReplicas());
        }
        return table.size() == 0 ? Html.paragraph("No tablet server has heartbeated to this master yet.")
                : table.toHtml();
    }

    private Html.Raw tables() {
        ListTablesResponsePB list = call(observer -> service.listTables(ListTablesRequestPB.getDefaultInstance(), observer));
        if (list.hasError()) {
            return notServed(list.getError());
        }
        Html.Table table = Html.table("tables", "name", "id", "state", "tablets");
        for (TableEntryPB entry : list.getTablesList()) {
            table.row(Html.link(Html.url("/table", "id", entry.getTableId()), entry.getName()), entry.getTableId(),
                    entry.getState().name().replace("TABLE_", ""), entry.getNumTablets());
        }
        return table.size() == 0 ? Html.paragraph("No tables.") : table.toHtml();
    }

    private Html.Raw table(Map<String, String> query) {
        String id = query.get("id");
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("the table page needs ?id=TABLE_ID");
        }
        GetTableLocationsResponsePB locations = call(observer -> service.getTableLocations(
                GetTableLocationsRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder().setTableId(id)).build(),
                observer));
        if (locations.hasError()) {
            return notServed(locations.getError());
        }
        Html.Table schema = Html.table("schema", "column", "type", "key", "nullable");
        locations.getTable().getSchema().getColumnsList().forEach(column -> schema.row(column.getName(),
                column.getType().name(), column.getKey(), column.getNullable()));
        Html.Table tablets = Html.table("tablets", "tablet", "partition", "replicas (role)");
        for (TabletLocationPB tablet : locations.getTabletsList()) {
            StringBuilder replicas = new StringBuilder();
            for (ReplicaLocationPB replica : tablet.getReplicasList()) {
                replicas.append(replicas.isEmpty() ? "" : ", ").append(replica.getServer().getUuid()).append(" (")
                        .append(replica.getRole()).append(')');
            }
            tablets.row(tablet.getTabletId(), tablet.getPartition().toString().replace('\n', ' ').trim(), replicas);
        }
        return Html.join(Html.paragraph("Table " + locations.getTable().getName() + " (" + id + "), state "
                        + locations.getTable().getState().name().replace("TABLE_", "")),
                Html.heading("Schema"), schema.toHtml(), Html.heading("Tablets"), tablets.toHtml());
    }

    /** What a follower (or a leader not yet ready) shows instead of leader-only data. */
    private Html.Raw notServed(ErrorPB error) {
        Optional<HostPort> leaderWeb = error.hasLeaderAddress() ? webAddressOf(new HostPort(
                error.getLeaderAddress().getHost(), error.getLeaderAddress().getPort())) : Optional.empty();
        return Html.join(Html.paragraph("This master does not serve this page now: " + error.getCode() + " "
                        + error.getMessage()),
                leaderWeb.map(web -> Html.paragraph(Html.join("The leader's page: ",
                        Html.link("http://" + web + "/", "http://" + web + "/")))).orElse(new Html.Raw("")));
    }

    private Optional<HostPort> webAddressOf(HostPort rpc) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(rpc.host(), rpc.port()).usePlaintext().build();
        try {
            var status = TabletServerServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(PEER_STATUS_DEADLINE_MS, TimeUnit.MILLISECONDS)
                    .getStatus(ServerStatusRequestPB.getDefaultInstance());
            return status.hasWebAddress() ? Optional.of(new HostPort(status.getWebAddress().getHost(),
                    status.getWebAddress().getPort())) : Optional.empty();
        } catch (io.grpc.StatusRuntimeException unreachable) {
            return Optional.empty();
        } finally {
            channel.shutdownNow();
        }
    }

    /** Calls one of the master's unary handlers in-process and returns its answer. */
    private static <T> T call(Consumer<StreamObserver<T>> handler) {
        Object[] answer = new Object[1];
        Throwable[] failure = new Throwable[1];
        handler.accept(new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                answer[0] = value;
            }

            @Override
            public void onError(Throwable t) {
                failure[0] = t;
            }

            @Override
            public void onCompleted() {}
        });
        if (failure[0] != null) {
            throw new IllegalStateException("the master's handler failed: " + failure[0], failure[0]);
        }
        @SuppressWarnings("unchecked")
        T result = (T) answer[0];
        basalt.common.check.Check.state(result != null, "the master's handler gave no answer");
        return result;
    }
}
