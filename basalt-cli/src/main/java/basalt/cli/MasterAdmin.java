package basalt.cli;

import basalt.common.net.HostPort;
import basalt.proto.ChangeMembershipRequestPB;
import basalt.proto.ChangeMembershipResponsePB;
import basalt.proto.ConsensusServiceGrpc;
import basalt.proto.HostPortPB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListMastersResponsePB;
import basalt.proto.MasterEntryPB;
import basalt.proto.MasterServiceGrpc;
import basalt.proto.PeerPB;
import basalt.proto.ServerStatusRequestPB;
import basalt.proto.ServerStatusResponsePB;
import basalt.proto.TabletServerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Online changes of the master group: add a master (it joins as a learner, copies the catalog from the
 * leader, and is promoted once caught up) and remove one. This is how one master grows to three and
 * five, and how a dead master is replaced, with no restart of anything else.
 */
public final class MasterAdmin {
    private static final String CATALOG = "catalog";

    private MasterAdmin() {}

    /** Every master as the leader master sees the group. */
    public static List<MasterEntryPB> list(List<HostPort> masters, Duration deadline) {
        return leaderView(masters, deadline).getMastersList();
    }

    /** Adds the master serving at {@code newMaster} (started with every current master in its address list). */
    public static String add(List<HostPort> masters, HostPort newMaster, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        ServerStatusResponsePB status = withChannel(newMaster, channel -> TabletServerServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS).getStatus(ServerStatusRequestPB.getDefaultInstance()));
        if (!status.getKind().equals("master")) {
            throw new IllegalArgumentException(newMaster + " is a " + status.getKind() + ", not a master");
        }
        String uuid = status.getSelf().getUuid();
        PeerPB peer = PeerPB.newBuilder().setUuid(uuid).setAddress(HostPortPB.newBuilder()
                .setHost(newMaster.host()).setPort(newMaster.port())).build();
        changeUntilDone(masters, ChangeMembershipRequestPB.Kind.ADD_LEARNER, peer, end, "is already a member");
        // The leader refuses the promotion until the learner has caught up: ask again until it accepts.
        changeUntilDone(masters, ChangeMembershipRequestPB.Kind.PROMOTE_LEARNER, peer, end, "is not a learner");
        return uuid;
    }

    /** Removes the master at {@code address} from the group. */
    public static void remove(List<HostPort> masters, HostPort address, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        Optional<MasterEntryPB> member = list(masters, deadline).stream()
                .filter(m -> m.getRpcAddress().getHost().equals(address.host()) && m.getRpcAddress().getPort() == address.port())
                .findFirst();
        if (member.isEmpty()) {
            throw new IllegalArgumentException(address + " is not a master of this cluster");
        }
        PeerPB peer = PeerPB.newBuilder().setUuid(member.get().getUuid()).setAddress(member.get().getRpcAddress()).build();
        changeUntilDone(masters, ChangeMembershipRequestPB.Kind.REMOVE_MEMBER, peer, end, "is not a member");
    }

    private static void changeUntilDone(List<HostPort> masters, ChangeMembershipRequestPB.Kind kind, PeerPB peer,
                                        long endNanos, String alreadyDone) {
        String last = "no attempt";
        // Bounded by the deadline.
        while (System.nanoTime() < endNanos) {
            try {
                HostPort leader = leaderAddress(masters, Duration.ofNanos(Math.max(1, endNanos - System.nanoTime())));
                ChangeMembershipResponsePB response = withChannel(leader, channel -> ConsensusServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS).changeMembership(ChangeMembershipRequestPB.newBuilder()
                                .setGroupId(CATALOG).setKind(kind).setPeer(peer).build()));
                if (!response.hasError() || response.getError().getMessage().contains(alreadyDone)) {
                    return;
                }
                last = response.getError().getCode() + " " + response.getError().getMessage();
            } catch (RuntimeException e) {
                last = e.toString();
            }
            pause();
        }
        throw new IllegalStateException(kind + " of master " + peer.getUuid() + " did not complete: " + last);
    }

    private static HostPort leaderAddress(List<HostPort> masters, Duration deadline) {
        for (MasterEntryPB master : leaderView(masters, deadline).getMastersList()) {
            if (master.getRole().equals("LEADER")) {
                return new HostPort(master.getRpcAddress().getHost(), master.getRpcAddress().getPort());
            }
        }
        throw new IllegalStateException("no master leads right now");
    }

    /** ListMasters from a master that reports a leader, asking each given master in turn until the deadline. */
    private static ListMastersResponsePB leaderView(List<HostPort> masters, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        String last = "no master answered";
        while (System.nanoTime() < end) {
            for (HostPort master : masters) {
                try {
                    ListMastersResponsePB response = withChannel(master, channel -> MasterServiceGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(2, TimeUnit.SECONDS).listMasters(ListMastersRequestPB.getDefaultInstance()));
                    if (response.getMastersList().stream().anyMatch(m -> m.getRole().equals("LEADER"))) {
                        return response;
                    }
                    last = master + " knows no leader";
                } catch (StatusRuntimeException e) {
                    last = master + ": " + e.getStatus().getCode();
                }
            }
            pause();
        }
        throw new IllegalStateException("could not find the leader master: " + last);
    }

    private static <T> T withChannel(HostPort address, java.util.function.Function<ManagedChannel, T> call) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext().build();
        try {
            return call.apply(channel);
        } finally {
            channel.shutdownNow();
        }
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(100); // between attempts of an operation bounded by its deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
