package basalt.server.rpc;

import basalt.common.net.HostPort;
import basalt.consensus.core.NodeId;
import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.proto.HostPortPB;
import java.util.Optional;

/** Builds the specific errors clients act on (CLI.md and the client retry rules depend on the codes). */
public final class Errors {
    private Errors() {}

    public static ErrorPB of(Code code, String message) {
        return ErrorPB.newBuilder().setCode(code).setMessage(message).build();
    }

    /** NOT_THE_LEADER with the leader's uuid and address when this server knows them. */
    public static ErrorPB notTheLeader(String what, Optional<NodeId> leader, PeerDirectory peers) {
        ErrorPB.Builder error = ErrorPB.newBuilder().setCode(Code.NOT_THE_LEADER)
                .setMessage("this replica of " + what + " is not the leader"
                        + leader.map(l -> "; the leader is " + l).orElse("; the leader is not known yet"));
        leader.ifPresent(l -> {
            error.setLeaderUuid(l.value());
            peers.lookup(l).ifPresent(address -> error.setLeaderAddress(toProto(address)));
        });
        return error.build();
    }

    public static HostPortPB toProto(HostPort address) {
        return HostPortPB.newBuilder().setHost(address.host()).setPort(address.port()).build();
    }
}
