package basalt.itest.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.client.BasaltClient;
import basalt.client.BasaltException;
import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.proto.Code;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Goal: an outage longer than the deadline ends in TIMED_OUT at the deadline, with the reason, not a hang. */
class ClientDeadlineTest {
    /** A client whose masters are all unreachable fails with TIMED_OUT at its deadline, naming why. */
    @Test
    void unreachableMastersTimeOutAtTheDeadline() {
        List<Integer> ports = ExternalMiniCluster.reserveLoopbackPorts(1);
        try (BasaltClient client = BasaltClient.builder(new HostPort("127.0.0.1", ports.get(0)).toString())
                .defaultOperationTimeout(Duration.ofMillis(700)).build()) {
            long start = System.nanoTime();
            assertThatThrownBy(client::listTables).isInstanceOfSatisfying(BasaltException.class, e -> {
                assertThat(e.code()).isEqualTo(Code.TIMED_OUT);
                assertThat(e.getMessage()).contains("list tables timed out").contains("no master knows a leader");
            });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(600), Duration.ofSeconds(5));
        }
    }

}
