package basalt.cli.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.net.HostPort;
import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.proto.RequestIdPB;
import basalt.proto.TabletServerServiceGrpc;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Goal: a write is sent again only after an answer proving it was not applied, so a history never calls a
 * write "failed" that may have happened, nor applies it twice; reads are retried through anything.
 * Method: a scripted tablet server on a loopback port answers each call with the next scripted reply.
 */
class ClusterClientRetryTest {
    /** A scripted reply: a response, or a gRPC failure. */
    private record Reply(WriteResponsePB response, Status failure) {}

    private final Deque<Reply> script = new ArrayDeque<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final List<RequestIdPB> requestIds = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Server server;
    private ClusterClient client;
    private HostPort address;

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new TabletServerServiceGrpc.TabletServerServiceImplBase() {
                    @Override
                    public void write(WriteRequestPB request, StreamObserver<WriteResponsePB> response) {
                        calls.incrementAndGet();
                        requestIds.add(request.getRequestId());
                        Reply reply;
                        synchronized (script) {
                            reply = script.isEmpty() ? new Reply(WriteResponsePB.getDefaultInstance(), null) : script.poll();
                        }
                        if (reply.failure() != null) {
                            response.onError(reply.failure().asRuntimeException());
                        } else {
                            response.onNext(reply.response());
                            response.onCompleted();
                        }
                    }
                }).build().start();
        address = new HostPort("127.0.0.1", server.getPort());
        client = new ClusterClient(List.of(address), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    private void answer(Code code, String message) {
        script.add(new Reply(WriteResponsePB.newBuilder().setError(ErrorPB.newBuilder().setCode(code).setMessage(message)).build(), null));
    }

    private WriteResponsePB write(boolean idempotent) {
        return client.tablet("t1", List.of(address), idempotent, stub -> stub.write(WriteRequestPB.getDefaultInstance()),
                r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), Duration.ofSeconds(5));
    }

    @Test
    void refusalsThatApplyNothingAreRetriedUntilTheWriteSucceeds() {
        answer(Code.NOT_THE_LEADER, "not the leader");
        answer(Code.TABLET_NOT_RUNNING, "bootstrapping");
        answer(Code.ABORTED, "the write was not applied: lost to 3.7");
        answer(Code.SERVICE_UNAVAILABLE, "tablet t1: the new leader has not yet applied the entry that starts its term");
        assertThat(write(false).hasError()).isFalse();
        assertThat(calls).hasValue(5);
    }

    @Test
    void aWriteWhoseOutcomeIsUnknownIsNotSentAgain() {
        answer(Code.SERVICE_UNAVAILABLE, "outcome unknown: leadership lost");
        assertThatThrownBy(() -> write(false)).isInstanceOfSatisfying(RpcFailedException.class,
                e -> assertThat(e.outcomeUnknown()).isTrue()).hasMessageContaining("outcome unknown");
        assertThat(calls).hasValue(1);

        script.add(new Reply(null, Status.DEADLINE_EXCEEDED));
        assertThatThrownBy(() -> write(false)).isInstanceOfSatisfying(RpcFailedException.class,
                e -> assertThat(e.outcomeUnknown()).isTrue());
        assertThat(calls).as("a lost answer is not retried either").hasValue(2);
    }

    @Test
    void anIdempotentCallIsRetriedThroughUnknownOutcomes() {
        answer(Code.SERVICE_UNAVAILABLE, "outcome unknown: leadership lost");
        script.add(new Reply(null, Status.DEADLINE_EXCEEDED));
        assertThat(write(true).hasError()).isFalse();
        assertThat(calls).hasValue(3);
    }

    @Test
    void aWriteWithARequestIdIsRetriedThroughLostAnswersUnderTheSameId() {
        answer(Code.SERVICE_UNAVAILABLE, "outcome unknown: leadership lost");
        script.add(new Reply(null, Status.DEADLINE_EXCEEDED));
        WriteResponsePB first = client.write("t1", List.of(address), WriteRequestPB.getDefaultInstance(), Duration.ofSeconds(5));
        assertThat(first.hasError()).isFalse();
        assertThat(calls).hasValue(3);
        assertThat(requestIds).hasSize(3).allSatisfy(id -> assertThat(id).isEqualTo(requestIds.get(0)));
        assertThat(requestIds.get(0).getSequence()).isEqualTo(1);

        client.write("t1", List.of(address), WriteRequestPB.getDefaultInstance(), Duration.ofSeconds(5));
        assertThat(requestIds.get(3).getClientId()).isEqualTo(requestIds.get(0).getClientId());
        assertThat(requestIds.get(3).getSequence()).isEqualTo(2);
        assertThat(requestIds.get(3).getFirstIncompleteSequence()).as("the first write is done").isEqualTo(2);
    }

    @Test
    void aDeadlinePassedAfterALostAnswerLeavesTheOutcomeUnknown() {
        for (int i = 0; i < 1000; i++) {
            answer(Code.SERVICE_UNAVAILABLE, "outcome unknown: leadership lost");
        }
        assertThatThrownBy(() -> client.write("t1", List.of(address), WriteRequestPB.getDefaultInstance(), Duration.ofMillis(300)))
                .isInstanceOfSatisfying(RpcFailedException.class, e -> assertThat(e.outcomeUnknown()).isTrue());
    }

    @Test
    void aFinalAnswerComesBackToTheCallerAtOnce() {
        answer(Code.INVALID_ARGUMENT, "bad row");
        assertThat(write(false).getError().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(calls).hasValue(1);
    }

    @Test
    void aWriteToAServerThatRefusesConnectionsIsRetriedUntilItIsBack() throws Exception {
        server.shutdownNow().awaitTermination();
        Thread restart = new Thread(() -> {
            try {
                Thread.sleep(300); // the server is down for a while: the client keeps trying meanwhile
                server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", address.port()))
                        .addService(new TabletServerServiceGrpc.TabletServerServiceImplBase() {
                            @Override
                            public void write(WriteRequestPB request, StreamObserver<WriteResponsePB> response) {
                                calls.incrementAndGet();
                                response.onNext(WriteResponsePB.getDefaultInstance());
                                response.onCompleted();
                            }
                        }).build().start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        restart.start();
        assertThat(write(false).hasError()).as("a refused connection sent nothing, so the write is sent again").isFalse();
        restart.join();
        assertThat(calls).hasValue(1);
    }
}
