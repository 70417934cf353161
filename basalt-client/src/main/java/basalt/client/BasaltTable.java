package basalt.client;

import basalt.client.partition.PartitionRouter;
import basalt.proto.OperationType;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.TableRecordPB;

/**
 * An open table: its id, schema and partitioning, and the factory of its operations. Cheap to keep;
 * routing information (which tablet holds which rows, and where its leader is) lives in the client's
 * meta cache, not here.
 */
public final class BasaltTable {
    private final AsyncBasaltClient client;
    private final String tableId;
    private final String name;
    private final Schema schema;
    private final PartitionSchemaPB partitionSchema;
    private final int numReplicas;
    private final PartitionRouter router;

    BasaltTable(AsyncBasaltClient client, TableRecordPB record) {
        this.client = client;
        this.tableId = record.getTableId();
        this.name = record.getName();
        this.schema = Schema.fromPB(record.getSchema());
        this.partitionSchema = record.getPartitionSchema();
        this.numReplicas = record.getNumReplicas();
        this.router = new PartitionRouter(record.getSchema(), partitionSchema);
    }

    public String tableId() {
        return tableId;
    }

    public String name() {
        return name;
    }

    public Schema schema() {
        return schema;
    }

    public PartitionSchemaPB partitionSchema() {
        return partitionSchema;
    }

    public int numReplicas() {
        return numReplicas;
    }

    public Operation newInsert() {
        return new Operation(this, OperationType.INSERT);
    }

    public Operation newInsertIgnore() {
        return new Operation(this, OperationType.INSERT_IGNORE);
    }

    public Operation newUpsert() {
        return new Operation(this, OperationType.UPSERT);
    }

    public Operation newUpdate() {
        return new Operation(this, OperationType.UPDATE);
    }

    public Operation newDelete() {
        return new Operation(this, OperationType.DELETE);
    }

    AsyncBasaltClient client() {
        return client;
    }

    PartitionRouter router() {
        return router;
    }

    @Override
    public String toString() {
        return "table " + name + " (" + tableId + ")";
    }
}
