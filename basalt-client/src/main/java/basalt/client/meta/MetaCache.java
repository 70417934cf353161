package basalt.client.meta;

import basalt.client.rpc.Deadline;
import basalt.common.net.HostPort;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TabletLocationPB;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tablet locations per table, fetched from the leader master on first use and kept until an error says
 * they are stale ({@link #invalidate}: NOT_THE_LEADER without a usable hint, TABLET_NOT_FOUND, an
 * unreachable replica). Concurrent lookups of a table that is not cached share one fetch.
 */
public final class MetaCache {
    private final MasterLocator masters;
    private final Map<String, CompletableFuture<TableLocations>> byTableId = new ConcurrentHashMap<>();

    public MetaCache(MasterLocator masters) {
        this.masters = masters;
    }

    public CompletableFuture<TableLocations> locations(String tableId, Deadline deadline) {
        CompletableFuture<TableLocations> current = byTableId.get(tableId);
        if (current != null && current.isDone() && !current.isCompletedExceptionally()) {
            return current; // the path of every row a session routes: nothing to watch, nothing allocated
        }
        CompletableFuture<TableLocations> cached = byTableId.computeIfAbsent(tableId, id -> fetch(id, deadline));
        // A failed fetch is not cached: the next caller tries again with its own deadline.
        cached.whenComplete((value, failure) -> {
            if (failure != null) {
                byTableId.remove(tableId, cached);
            }
        });
        return cached;
    }

    /** Drops the table's cached locations, unless they were already replaced by a newer fetch than {@code stale}. */
    public void invalidate(String tableId, TableLocations stale) {
        CompletableFuture<TableLocations> current = byTableId.get(tableId);
        if (current != null && current.isDone() && !current.isCompletedExceptionally() && current.join() == stale) {
            byTableId.remove(tableId, current);
        }
    }

    public void invalidate(String tableId) {
        byTableId.remove(tableId);
    }

    private CompletableFuture<TableLocations> fetch(String tableId, Deadline deadline) {
        GetTableLocationsRequestPB request = GetTableLocationsRequestPB.newBuilder()
                .setTable(TableIdentifierPB.newBuilder().setTableId(tableId)).build();
        return masters.<GetTableLocationsResponsePB>call("locate the tablets of table " + tableId, deadline,
                        (stub, observer) -> stub.getTableLocations(request, observer),
                        response -> response.hasError() ? Optional.of(response.getError()) : Optional.empty())
                .thenApply(MetaCache::toLocations);
    }

    static TableLocations toLocations(GetTableLocationsResponsePB response) {
        List<TabletLocation> tablets = new ArrayList<>();
        for (TabletLocationPB tablet : response.getTabletsList()) {
            List<TabletLocation.Replica> replicas = new ArrayList<>();
            for (ReplicaLocationPB replica : tablet.getReplicasList()) {
                Optional<HostPort> address = replica.getServer().hasAddress()
                        ? Optional.of(MasterLocator.address(replica.getServer().getAddress())) : Optional.empty();
                replicas.add(new TabletLocation.Replica(replica.getServer().getUuid(), address,
                        replica.getRole().equals("LEADER")));
            }
            tablets.add(new TabletLocation(tablet.getTabletId(), tablet.getPartition(), replicas));
        }
        return new TableLocations(response.getTable(), tablets);
    }
}
