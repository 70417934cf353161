package basalt.server.rpc;

import basalt.server.metrics.Counter;
import basalt.server.metrics.Histogram;
import basalt.server.metrics.MetricRegistry;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Times every unary RPC a server answers and counts its failures by code. Basalt answers most failures
 * inside the response ({@code ErrorPB error}: NOT_THE_LEADER, SERVICE_UNAVAILABLE, ...) with a gRPC OK,
 * so both are counted: a gRPC status other than OK under its gRPC name, and an {@code error} field under
 * its {@code Code} name. Streams (consensus traffic) are not timed: their "latency" is their lifetime.
 */
public final class RpcMetricsInterceptor implements ServerInterceptor {
    private final Histogram latency;
    private final Counter errors;

    public RpcMetricsInterceptor(MetricRegistry registry) {
        this.latency = registry.histogram("basalt_rpc_duration_seconds",
                "Time from a unary RPC's arrival to its answer, by method.", Histogram.LATENCY_SECONDS, "method");
        this.errors = registry.counter("basalt_rpc_errors_total",
                "Unary RPCs that failed, by method and code: a gRPC status other than OK, or the code of the"
                        + " ErrorPB the answer carries.", "method", "code");
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getType() != MethodDescriptor.MethodType.UNARY) {
            return next.startCall(call, headers);
        }
        String method = call.getMethodDescriptor().getFullMethodName();
        long startNanos = System.nanoTime();
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                String code = errorCode(message);
                if (code != null) {
                    errors.increment(method, code);
                }
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                latency.observeNanos(System.nanoTime() - startNanos, method);
                if (!status.isOk()) {
                    errors.increment(method, status.getCode().name());
                }
                super.close(status, trailers);
            }
        }, headers);
    }

    /** The code of the response's {@code error} field when it is set, else null. */
    static String errorCode(Object response) {
        if (!(response instanceof Message message)) {
            return null;
        }
        Descriptors.FieldDescriptor errorField = message.getDescriptorForType().findFieldByName("error");
        if (errorField == null || errorField.getJavaType() != Descriptors.FieldDescriptor.JavaType.MESSAGE
                || errorField.isRepeated() || !message.hasField(errorField)) {
            return null;
        }
        Message error = (Message) message.getField(errorField);
        Descriptors.FieldDescriptor codeField = error.getDescriptorForType().findFieldByName("code");
        if (codeField == null || codeField.getJavaType() != Descriptors.FieldDescriptor.JavaType.ENUM) {
            return "UNKNOWN";
        }
        return ((Descriptors.EnumValueDescriptor) error.getField(codeField)).getName();
    }
}
