package basalt.cli.rpc;

import basalt.common.net.HostPort;
import basalt.proto.GetTableLocationsRequestPB;
import basalt.proto.GetTableLocationsResponsePB;
import basalt.proto.PartitionPB;
import basalt.proto.ReplicaLocationPB;
import basalt.proto.TableIdentifierPB;
import basalt.proto.TabletLocationPB;
import basalt.tablet.PartitionSchema;
import basalt.tablet.Schema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A table as the leader master placed it: schema, partitioning, and where each tablet's replicas are. */
public final class TableRoute {
    private final GetTableLocationsResponsePB locations;
    private final Schema schema;
    private final PartitionSchema partitionSchema;

    private TableRoute(GetTableLocationsResponsePB locations) {
        this.locations = locations;
        this.schema = Schema.fromPB(locations.getTable().getSchema());
        this.partitionSchema = PartitionSchema.fromPB(locations.getTable().getPartitionSchema(), schema);
    }

    /** Looks the table up by name; a table that does not exist is an IllegalArgumentException naming it. */
    public static TableRoute lookup(ClusterClient client, String table, Duration deadline) {
        GetTableLocationsResponsePB response = client.master(stub -> stub.getTableLocations(
                GetTableLocationsRequestPB.newBuilder().setTable(TableIdentifierPB.newBuilder().setName(table)).build()),
                r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), deadline);
        if (response.hasError()) {
            throw new IllegalArgumentException("table '" + table + "': " + response.getError().getMessage());
        }
        return new TableRoute(response);
    }

    public String tableId() {
        return locations.getTable().getTableId();
    }

    public String name() {
        return locations.getTable().getName();
    }

    public Schema schema() {
        return schema;
    }

    public PartitionSchema partitionSchema() {
        return partitionSchema;
    }

    public List<TabletLocationPB> tablets() {
        return locations.getTabletsList();
    }

    /** The tablet a row belongs to (cells in schema order). */
    public TabletLocationPB tabletFor(Object[] cells) {
        PartitionPB partition = partitionSchema.partitionFor(cells);
        return locations.getTabletsList().stream().filter(tablet -> tablet.getPartition().equals(partition)).findFirst()
                .orElseThrow(() -> new IllegalStateException("table '" + name() + "' has no tablet for partition "
                        + partition.toString().replace('\n', ' ')));
    }

    /** The replicas' addresses, the one the master knows as leader first. */
    public static List<HostPort> replicas(TabletLocationPB tablet) {
        List<HostPort> addresses = new ArrayList<>();
        for (ReplicaLocationPB replica : tablet.getReplicasList()) {
            HostPort address = ClusterClient.address(replica.getServer().getAddress());
            if (replica.getRole().equals("LEADER")) {
                addresses.add(0, address);
            } else {
                addresses.add(address);
            }
        }
        return addresses;
    }
}
