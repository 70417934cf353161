package basalt.client.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

/** Which transport failures a retry may fix, and which stay final. */
class RetryRulesTest {
    @Test
    void unreachableSlowOrClosedUnderTheCallIsRetried() {
        assertThat(RetryRules.networkError(Status.UNAVAILABLE)).isTrue();
        assertThat(RetryRules.networkError(Status.DEADLINE_EXCEEDED)).isTrue();
        // What gRPC reports when the server is killed as the call starts on its connection.
        assertThat(RetryRules.networkError(Status.UNKNOWN.withDescription("channel closed")
                .withCause(new ClosedChannelException()))).isTrue();
    }

    @Test
    void anUnknownFailureThatIsNotTheConnectionIsFinal() {
        assertThat(RetryRules.networkError(Status.UNKNOWN.withDescription("application bug"))).isFalse();
        assertThat(RetryRules.networkError(Status.UNKNOWN.withCause(new IllegalStateException("bug")))).isFalse();
        assertThat(RetryRules.networkError(Status.INVALID_ARGUMENT)).isFalse();
        assertThat(RetryRules.networkError(Status.UNIMPLEMENTED)).isFalse();
    }
}
