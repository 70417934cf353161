package basalt.server.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.PartitionPB;
import basalt.proto.WriteResponsePB;
import com.google.protobuf.ByteString;
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
        assertThat(RpcMetricsInterceptor.errorCode(null)).isNull();
    }

    @Test
    void aMessageWithoutAnErrorFieldIsNoFailure() {
        assertThat(RpcMetricsInterceptor.errorCode(PartitionPB.newBuilder().setRangeLower(
                ByteString.copyFromUtf8("a")).build())).isNull();
    }

    @Test
    void eachResponseTypeReadsItsOwnErrorField() {
        WriteResponsePB refused = WriteResponsePB.newBuilder()
                .setError(ErrorPB.newBuilder().setCode(Code.SCHEMA_MISMATCH)).build();
        ListTablesResponsePB listRefused = ListTablesResponsePB.newBuilder()
                .setError(ErrorPB.newBuilder().setCode(Code.SERVICE_UNAVAILABLE)).build();
        for (int round = 0; round < 2; round++) { // the second round reads through the per-class cache
            assertThat(RpcMetricsInterceptor.errorCode(refused)).isEqualTo("SCHEMA_MISMATCH");
            assertThat(RpcMetricsInterceptor.errorCode(listRefused)).isEqualTo("SERVICE_UNAVAILABLE");
            assertThat(RpcMetricsInterceptor.errorCode(WriteResponsePB.newBuilder().setTimestamp(7).build())).isNull();
        }
    }
}
