package basalt.server.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.proto.ListTablesResponsePB;
import org.junit.jupiter.api.Test;

class RpcMetricsInterceptorTest {
    @Test
    void anAnswerCarryingAnErrorCountsUnderItsCode() {
        ListTablesResponsePB refused = ListTablesResponsePB.newBuilder()
                .setError(ErrorPB.newBuilder().setCode(Code.NOT_THE_LEADER).setMessage("ask the leader")).build();
        assertThat(RpcMetricsInterceptor.errorCode(refused)).isEqualTo("NOT_THE_LEADER");
    }

    @Test
    void anAnswerWithoutAnErrorIsNoFailure() {
        assertThat(RpcMetricsInterceptor.errorCode(ListTablesResponsePB.getDefaultInstance())).isNull();
        assertThat(RpcMetricsInterceptor.errorCode("not a protobuf")).isNull();
    }
}
