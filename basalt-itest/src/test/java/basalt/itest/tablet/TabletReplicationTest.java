package basalt.itest.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.TabletClient;
import basalt.itest.workload.TestTables;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.WriteResponsePB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Goal: a tablet replicated over three real tablet-server processes takes writes and serves them back. */
class TabletReplicationTest {
    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numTabletServers(3));

    @Test
    void writesAreReplicatedAndReadBack() {
        ExternalMiniCluster cluster = extension.get();
        ReplicatedTabletCluster.createTablet(cluster);
        try (TabletClient client = ReplicatedTabletCluster.client(cluster)) {
            List<RowOperationPB> batch = new ArrayList<>();
            for (long id = 0; id < 500; id++) {
                batch.add(TestTables.insert(id, "v" + id));
            }
            WriteResponsePB response = client.write(TestTables.write(batch), Duration.ofSeconds(30));
            assertThat(response.getRowErrorsList()).isEmpty();
            List<RowPB> rows = client.scanAll(Duration.ofSeconds(30));
            assertThat(rows).hasSize(500);
            assertThat(TestTables.valueOf(rows.get(499))).isEqualTo("v499");
        }
    }
}
