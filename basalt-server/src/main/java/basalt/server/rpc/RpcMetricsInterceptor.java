package basalt.server.rpc;

import basalt.proto.ErrorPB;
import basalt.server.metrics.Counter;
import basalt.server.metrics.Histogram;
import basalt.server.metrics.MetricRegistry;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

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

    /**
     * The code of the response's {@code error} field when it is set, else null. Called for every answer, so
     * the field is found once per response class (not by descriptor lookups per call, which JFR showed at
     * 3.5% of a busy tablet server's samples) and read through its generated accessors.
     */
    static String errorCode(Object response) {
        if (response == null) {
            return null;
        }
        ErrorField field = ERROR_FIELDS.get(response.getClass());
        return field == null ? null : field.codeOf(response);
    }

    private static final ClassValue<ErrorField> ERROR_FIELDS = new ClassValue<>() {
        @Override
        protected ErrorField computeValue(Class<?> type) {
            return ErrorField.of(type);
        }
    };

    /** The generated {@code hasError()} and {@code getError()} of a response class whose error is an ErrorPB. */
    private record ErrorField(MethodHandle has, MethodHandle get) {
        private static final MethodType AS_OBJECT_HAS = MethodType.methodType(boolean.class, Object.class);
        private static final MethodType AS_OBJECT_GET = MethodType.methodType(ErrorPB.class, Object.class);

        /** Null when the class is no protobuf message or has no singular {@code ErrorPB error} field. */
        static ErrorField of(Class<?> type) {
            if (!Message.class.isAssignableFrom(type)) {
                return null;
            }
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            try {
                MethodHandle has = lookup.findVirtual(type, "hasError", MethodType.methodType(boolean.class));
                MethodHandle get = lookup.findVirtual(type, "getError", MethodType.methodType(ErrorPB.class));
                return new ErrorField(has.asType(AS_OBJECT_HAS), get.asType(AS_OBJECT_GET));
            } catch (NoSuchMethodException | IllegalAccessException e) {
                return null; // no such field, or one of another type: not an answer that carries a Basalt error
            }
        }

        String codeOf(Object response) {
            try {
                if (!(boolean) has.invokeExact(response)) {
                    return null;
                }
                return ((ErrorPB) get.invokeExact(response)).getCode().name();
            } catch (Throwable e) {
                throw new IllegalStateException("reading the error of a " + response.getClass().getName(), e);
            }
        }
    }
}
