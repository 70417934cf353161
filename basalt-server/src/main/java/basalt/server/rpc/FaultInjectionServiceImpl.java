package basalt.server.rpc;

import basalt.consensus.core.NodeId;
import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.proto.FaultInjectionServiceGrpc;
import basalt.proto.FaultRequestPB;
import basalt.proto.FaultResponsePB;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a test harness (the nemesis of real-process tests) switch this server's {@link NetworkFaults}
 * at run time. CUT adds a cut in the directions asked; DELAY sets the outbound delay; HEAL with a
 * peer heals that peer, without one heals every peer.
 */
public final class FaultInjectionServiceImpl extends FaultInjectionServiceGrpc.FaultInjectionServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjectionServiceImpl.class);

    private final NetworkFaults faults;

    public FaultInjectionServiceImpl(NetworkFaults faults) {
        this.faults = faults;
    }

    @Override
    public void inject(FaultRequestPB request, StreamObserver<FaultResponsePB> response) {
        FaultResponsePB.Builder answer = FaultResponsePB.newBuilder();
        String peer = request.getPeerUuid();
        switch (request.getAction()) {
            case CUT -> {
                if (peer.isBlank() || !(request.getOutbound() || request.getInbound())) {
                    answer.setError(invalid("CUT needs a peer uuid and a direction"));
                } else {
                    faults.cut(new NodeId(peer), request.getOutbound(), request.getInbound());
                }
            }
            case DELAY -> {
                if (peer.isBlank() || request.getDelayMs() < 0) {
                    answer.setError(invalid("DELAY needs a peer uuid and a delay >= 0"));
                } else {
                    faults.delay(new NodeId(peer), request.getDelayMs());
                }
            }
            case HEAL -> {
                if (peer.isBlank()) {
                    faults.healAll();
                } else {
                    faults.heal(new NodeId(peer));
                }
            }
            default -> answer.setError(invalid("unknown action " + request.getAction()));
        }
        if (!answer.hasError()) {
            LOG.info("fault injected: {} {} outbound={} inbound={} delayMs={}", request.getAction(),
                    peer.isBlank() ? "<all>" : peer, request.getOutbound(), request.getInbound(), request.getDelayMs());
        }
        response.onNext(answer.build());
        response.onCompleted();
    }

    private static ErrorPB invalid(String why) {
        return ErrorPB.newBuilder().setCode(Code.INVALID_ARGUMENT).setMessage(why).build();
    }
}
