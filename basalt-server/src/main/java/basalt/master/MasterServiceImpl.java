package basalt.master;

import basalt.common.net.HostPort;
import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import basalt.consensus.driver.GroupDriver;
import basalt.proto.AlterTableRequestPB;
import basalt.proto.AlterTableResponsePB;
import basalt.proto.Code;
import basalt.proto.CreateTableRequestPB;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.DeleteTableRequestPB;
import basalt.proto.DeleteTableResponsePB;
import basalt.proto.ErrorPB;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.GetTableSchemaRequestPB;
import basalt.proto.GetTableSchemaResponsePB;
import basalt.proto.HeartbeatRequestPB;
import basalt.proto.HeartbeatResponsePB;
import basalt.proto.IsAlterTableDoneRequestPB;
import basalt.proto.IsAlterTableDoneResponsePB;
import basalt.proto.IsCreateTableDoneRequestPB;
import basalt.proto.IsCreateTableDoneResponsePB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListMastersResponsePB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.ListTabletServersRequestPB;
import basalt.proto.ListTabletServersResponsePB;
import basalt.proto.MasterEntryPB;
import basalt.proto.MasterServiceGrpc;
import basalt.proto.PeerPB;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.TableEntryPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TableRecordPB;
import basalt.proto.TableState;
import basalt.proto.TabletLocationPB;
import basalt.proto.TabletRecordPB;
import basalt.proto.TabletReportPB;
import basalt.proto.TabletServerEntryPB;
import basalt.server.rpc.Errors;
import basalt.server.rpc.PeerDirectory;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The masters' RPCs. Followers answer NOT_THE_LEADER with the leader's uuid and address; a leader that
 * has not yet applied the first entry of its term answers SERVICE_UNAVAILABLE. ListMasters and
 * Heartbeat are answered by every master: any one current master is enough to find the rest.
 */
final class MasterServiceImpl extends MasterServiceGrpc.MasterServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(MasterServiceImpl.class);
    /** The longest IsCreateTableDone holds its answer, whatever the caller asks: callers' deadlines are seconds. */
    static final long MAX_CREATE_WAIT_MS = 1_000;
    private final NodeId self;
    private final HostPort selfAddress;
    private final GroupDriver catalogGroup;
    private final CatalogManager catalog;
    private final TabletServerRegistry tabletServers;
    private final PeerDirectory masterPeers;
    private final MasterServerOptions options;

    MasterServiceImpl(NodeId self, HostPort selfAddress, GroupDriver catalogGroup, CatalogManager catalog,
                      TabletServerRegistry tabletServers, PeerDirectory masterPeers, MasterServerOptions options) {
        this.self = self;
        this.selfAddress = selfAddress;
        this.catalogGroup = catalogGroup;
        this.catalog = catalog;
        this.tabletServers = tabletServers;
        this.masterPeers = masterPeers;
        this.options = options;
    }

    @Override
    public void listMasters(ListMastersRequestPB request, StreamObserver<ListMastersResponsePB> response) {
        GroupDriver.Status status = catalogGroup.status();
        Membership membership = status.membership();
        ListMastersResponsePB.Builder list = ListMastersResponsePB.newBuilder();
        for (NodeId member : membership.members()) {
            String role = status.leaderHint().equals(Optional.of(member)) ? "LEADER"
                    : membership.isLearner(member) ? "LEARNER" : "FOLLOWER";
            MasterEntryPB.Builder entry = MasterEntryPB.newBuilder().setUuid(member.value()).setRole(role)
                    .setTerm(status.term());
            addressOf(member).ifPresent(address -> entry.setRpcAddress(Errors.toProto(address)));
            list.addMasters(entry);
        }
        reply(response, list.build());
    }

    @Override
    public void heartbeat(HeartbeatRequestPB request, StreamObserver<HeartbeatResponsePB> response) {
        GroupDriver.Status status = catalogGroup.status();
        boolean leading = status.role().equals("leader") && status.servesWrites();
        // Every master records who is alive and what it hosts (soft state, never acted on by a follower),
        // so a newly elected leader can place replicas and route at once instead of waiting a heartbeat.
        boolean needsFullReport = tabletServers.heartbeat(request, System.nanoTime())
                == TabletServerRegistry.Outcome.NEEDS_FULL_REPORT;
        if (leading && !needsFullReport) {
            catalog.onHeartbeat(request.getTabletsList());
        }
        if (leading && catalog.leaderRefusal().isEmpty()) {
            catalog.noteHeartbeat(request.getServer().getUuid());
        }
        HeartbeatResponsePB.Builder answer = HeartbeatResponsePB.newBuilder().setLeader(leading)
                .setLeaderTerm(status.term()).setNeedsFullReport(needsFullReport);
        status.leaderHint().ifPresent(leader -> {
            answer.setLeaderUuid(leader.value());
            addressOf(leader).ifPresent(address -> answer.setLeaderAddress(Errors.toProto(address)));
        });
        for (NodeId member : status.membership().members()) {
            addressOf(member).ifPresent(address -> answer.addMasters(PeerPB.newBuilder().setUuid(member.value())
                    .setAddress(Errors.toProto(address))));
        }
        reply(response, answer.build());
    }

    @Override
    public void listTabletServers(ListTabletServersRequestPB request, StreamObserver<ListTabletServersResponsePB> response) {
        Optional<ErrorPB> refusal = catalog.leaderRefusal();
        if (refusal.isPresent()) {
            reply(response, ListTabletServersResponsePB.newBuilder().setError(refusal.get()).build());
            return;
        }
        long now = System.nanoTime();
        ListTabletServersResponsePB.Builder list = ListTabletServersResponsePB.newBuilder();
        for (TabletServerRegistry.Entry entry : tabletServers.all()) {
            long silentMs = TimeUnit.NANOSECONDS.toMillis(now - entry.lastHeartbeatNanos());
            list.addServers(TabletServerEntryPB.newBuilder().setServer(entry.server())
                    .setLive(silentMs <= options.tserverUnresponsiveMs()).setMillisSinceHeartbeat(silentMs)
                    .setReplicas(entry.tablets().size()));
        }
        reply(response, list.build());
    }

    @Override
    public void listTables(ListTablesRequestPB request, StreamObserver<ListTablesResponsePB> response) {
        Optional<ErrorPB> refusal = catalog.leaderRefusal();
        if (refusal.isPresent()) {
            reply(response, ListTablesResponsePB.newBuilder().setError(refusal.get()).build());
            return;
        }
        ListTablesResponsePB.Builder list = ListTablesResponsePB.newBuilder();
        for (TableRecordPB table : catalog.lookupAll()) {
            if (table.getState() == TableState.TABLE_DELETING
                    || !request.getNameFilter().isEmpty() && !table.getName().contains(request.getNameFilter())) {
                continue;
            }
            list.addTables(TableEntryPB.newBuilder().setTableId(table.getTableId()).setName(table.getName())
                    .setNumTablets(catalog.tabletsOf(table.getTableId()).size()).setState(catalog.visibleState(table)));
        }
        reply(response, list.build());
    }

    @Override
    public void getTableSchema(GetTableSchemaRequestPB request, StreamObserver<GetTableSchemaResponsePB> response) {
        Optional<ErrorPB> refusal = catalog.leaderRefusal();
        if (refusal.isPresent()) {
            reply(response, GetTableSchemaResponsePB.newBuilder().setError(refusal.get()).build());
            return;
        }
        Optional<TableRecordPB> table = catalog.lookup(request.getTable());
        reply(response, table.map(t -> GetTableSchemaResponsePB.newBuilder()
                        .setTable(t.toBuilder().setState(catalog.visibleState(t))).build())
                .orElseGet(() -> GetTableSchemaResponsePB.newBuilder().setError(Errors.of(Code.NOT_FOUND,
                        "no table " + CatalogManager.describe(request.getTable()))).build()));
    }

    @Override
    public void getTableLocations(GetTableLocationsRequestPB request, StreamObserver<GetTableLocationsResponsePB> response) {
        Optional<ErrorPB> refusal = catalog.leaderRefusal();
        if (refusal.isPresent()) {
            reply(response, GetTableLocationsResponsePB.newBuilder().setError(refusal.get()).build());
            return;
        }
        Optional<TableRecordPB> table = catalog.lookup(request.getTable());
        if (table.isEmpty()) {
            reply(response, GetTableLocationsResponsePB.newBuilder().setError(Errors.of(Code.NOT_FOUND,
                    "no table " + CatalogManager.describe(request.getTable()))).build());
            return;
        }
        GetTableLocationsResponsePB.Builder locations = GetTableLocationsResponsePB.newBuilder()
                .setTable(table.get().toBuilder().setState(catalog.visibleState(table.get())));
        for (TabletRecordPB tablet : catalog.tabletsOf(table.get().getTableId())) {
            TabletLocationPB.Builder location = TabletLocationPB.newBuilder().setTabletId(tablet.getTabletId())
                    .setPartition(tablet.getPartition());
            String leader = leaderOf(tablet);
            for (String replica : tablet.getReplicasList()) {
                PeerPB server = catalog.server(replica).orElse(PeerPB.newBuilder().setUuid(replica).build());
                location.addReplicas(ReplicaLocationPB.newBuilder().setServer(server)
                        .setRole(replica.equals(leader) ? "LEADER" : "FOLLOWER"));
            }
            locations.addTablets(location);
        }
        reply(response, locations.build());
    }

    /** The replica that reports leading the tablet at the highest term; a stale report loses to a newer one. */
    private String leaderOf(TabletRecordPB tablet) {
        String leader = "";
        long bestTerm = -1;
        for (String replica : tablet.getReplicasList()) {
            Optional<TabletReportPB> report = catalog.report(replica, tablet.getTabletId());
            if (report.isPresent() && report.get().getConsensus().getRole().equals("leader")
                    && report.get().getConsensus().getTerm() > bestTerm) {
                bestTerm = report.get().getConsensus().getTerm();
                leader = replica;
            }
        }
        return leader;
    }

    @Override
    public void createTable(CreateTableRequestPB request, StreamObserver<CreateTableResponsePB> response) {
        reply(response, catalog.createTable(request));
    }

    @Override
    public void isCreateTableDone(IsCreateTableDoneRequestPB request, StreamObserver<IsCreateTableDoneResponsePB> response) {
        IsCreateTableDoneResponsePB now = createDoneAnswer(request.getTable());
        if (request.getWaitMs() == 0 || now.hasError() || now.getDone()) {
            reply(response, now);
            return;
        }
        // A long poll: no thread waits; the answer is computed afresh when the table is done or the wait ends.
        long waitMs = Math.min(Integer.toUnsignedLong(request.getWaitMs()), MAX_CREATE_WAIT_MS);
        catalog.awaitCreateDone(request.getTable(), waitMs).whenComplete((ignored, failure) -> {
            try {
                reply(response, createDoneAnswer(request.getTable()));
            } catch (RuntimeException e) {
                LOG.debug("IsCreateTableDone answer not delivered (the caller gave up?): {}", e.toString());
            }
        });
    }

    private IsCreateTableDoneResponsePB createDoneAnswer(TableIdentifierPB tableIdentifier) {
        Optional<ErrorPB> refusal = catalog.leaderRefusal();
        if (refusal.isPresent()) {
            return IsCreateTableDoneResponsePB.newBuilder().setError(refusal.get()).build();
        }
        Optional<TableRecordPB> table = catalog.lookup(tableIdentifier);
        return table.map(t -> IsCreateTableDoneResponsePB.newBuilder().setDone(catalog.isCreateDone(t)).build())
                .orElseGet(() -> IsCreateTableDoneResponsePB.newBuilder().setError(Errors.of(Code.NOT_FOUND,
                        "no table " + CatalogManager.describe(tableIdentifier))).build());
    }

    @Override
    public void alterTable(AlterTableRequestPB request, StreamObserver<AlterTableResponsePB> response) {
        reply(response, catalog.alterTable(request));
    }

    @Override
    public void isAlterTableDone(IsAlterTableDoneRequestPB request, StreamObserver<IsAlterTableDoneResponsePB> response) {
        Optional<ErrorPB> refusal = catalog.leaderRefusal();
        if (refusal.isPresent()) {
            reply(response, IsAlterTableDoneResponsePB.newBuilder().setError(refusal.get()).build());
            return;
        }
        Optional<TableRecordPB> table = catalog.lookup(request.getTable());
        reply(response, table.map(t -> IsAlterTableDoneResponsePB.newBuilder().setDone(catalog.isAlterDone(t))
                        .setSchemaVersion(t.getSchema().getVersion()).build())
                .orElseGet(() -> IsAlterTableDoneResponsePB.newBuilder().setError(Errors.of(Code.NOT_FOUND,
                        "no table " + CatalogManager.describe(request.getTable()))).build()));
    }

    @Override
    public void deleteTable(DeleteTableRequestPB request, StreamObserver<DeleteTableResponsePB> response) {
        reply(response, catalog.deleteTable(request));
    }

    private Optional<HostPort> addressOf(NodeId member) {
        return member.equals(self) ? Optional.of(selfAddress) : masterPeers.lookup(member);
    }

    private static <T> void reply(StreamObserver<T> response, T message) {
        response.onNext(message);
        response.onCompleted();
    }
}
