package basalt.itest.cluster;

import basalt.common.net.HostPort;
import basalt.common.server.ServerInfo;
import basalt.common.server.ServerInfoFile;
import basalt.proto.FaultInjectionServiceGrpc;
import basalt.proto.FaultRequestPB;
import basalt.proto.FaultResponsePB;
import basalt.proto.HostPortPB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListMastersResponsePB;
import basalt.proto.MasterEntryPB;
import basalt.proto.MasterServiceGrpc;
import basalt.proto.PeerPB;
import basalt.proto.ServerStatusRequestPB;
import basalt.proto.ServerStatusResponsePB;
import basalt.proto.TabletServerServiceGrpc;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in server for the harness's own tests: the process contract of a Basalt server, nothing else.
 *
 * <p>Takes {@code tserver --fs_wal_dir D --fs_data_dir D --rpc_bind H:P --webserver_port P} (either flag
 * spelling, {@code --flag value} or {@code --flag=value}); keeps a uuid in {@code <data>/instance} from its
 * first start on; serves {@code TabletServerService.GetStatus} and {@code FaultInjectionService.Inject}
 * (printing each fault to stdout, which the harness sends to the log); writes {@code server-info} once it
 * serves; and on SIGTERM shuts the gRPC server down and exits 0. {@code --fake_exit_before_ready} makes
 * it exit with code 3 before it serves, for testing how the harness reports a server that dies.
 *
 * <p>Run as {@code master}, it also serves {@code MasterService.ListMasters} with one entry, its own: role
 * LEADER when its {@code --rpc_bind} is the first of {@code --master_addresses}, FOLLOWER otherwise (a
 * fixed, known leader is enough to test how the harness finds one). It prints its command line, so a
 * test can read from the log what the harness launched.
 */
public final class FakeServerMain {
    private FakeServerMain() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> flags = parseFlags(args);
        Path dataDir = Path.of(required(flags, "fs_data_dir"));
        Files.createDirectories(dataDir);
        Files.createDirectories(Path.of(required(flags, "fs_wal_dir")));
        if (flags.containsKey("fake_exit_before_ready")) {
            System.out.println("fake server: exiting before ready, as asked");
            System.exit(3);
        }
        String uuid = loadOrCreateUuid(dataDir.resolve("instance"));
        HostPort bind = HostPort.parse(required(flags, "rpc_bind"));

        CountDownLatch terminate = new CountDownLatch(1);
        // The JVM's default for SIGTERM runs shutdown hooks and exits 143; a Basalt server handles the
        // signal itself so a clean stop exits 0.
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> terminate.countDown());

        long pid = ProcessHandle.current().pid();
        System.out.println("fake server args: " + String.join(" ", args));
        Status status = new Status(uuid, pid);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(bind.host(), bind.port()))
                .addService(status)
                .addService(new Faults());
        if (args.length > 0 && args[0].equals("master")) {
            String first = required(flags, "master_addresses").split(",")[0];
            builder.addService(new Masters(uuid, bind, HostPort.parse(first).equals(bind)));
        }
        Server server = builder.build().start();
        HostPort bound = new HostPort(bind.host(), server.getPort());
        status.address = HostPortPB.newBuilder().setHost(bound.host()).setPort(bound.port()).build();
        ServerInfoFile.write(dataDir, new ServerInfo(uuid, bound, null, pid));
        System.out.println("fake server " + uuid + " pid " + pid + " serving on " + bound);

        terminate.await();
        System.out.println("fake server: SIGTERM, shutting down");
        server.shutdown();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
            server.shutdownNow();
        }
        System.out.println("fake server: stopped cleanly");
        System.exit(0);
    }

    static Map<String, String> parseFlags(String[] args) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                continue; // the subcommand
            }
            String body = arg.substring(2).replace('-', '_');
            int equals = body.indexOf('=');
            if (equals >= 0) {
                flags.put(body.substring(0, equals), body.substring(equals + 1));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                flags.put(body, args[++i]);
            } else {
                flags.put(body, "true");
            }
        }
        return flags;
    }

    private static String required(Map<String, String> flags, String name) {
        String value = flags.get(name);
        if (value == null) {
            System.err.println("fake server: missing --" + name);
            System.exit(2);
        }
        return value;
    }

    private static String loadOrCreateUuid(Path file) throws IOException {
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        String uuid = UUID.randomUUID().toString().replace("-", "");
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, uuid, StandardCharsets.UTF_8);
        Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return uuid;
    }

    private static final class Status extends TabletServerServiceGrpc.TabletServerServiceImplBase {
        private final String uuid;
        private final long pid;
        // Set once the port is bound, before server-info is written.
        private volatile HostPortPB address;

        Status(String uuid, long pid) {
            this.uuid = uuid;
            this.pid = pid;
        }

        @Override
        public void getStatus(ServerStatusRequestPB request, StreamObserver<ServerStatusResponsePB> response) {
            response.onNext(ServerStatusResponsePB.newBuilder()
                    .setSelf(PeerPB.newBuilder().setUuid(uuid).setAddress(address == null
                            ? HostPortPB.getDefaultInstance() : address))
                    .setKind("fake-tserver")
                    .setPid(pid)
                    .build());
            response.onCompleted();
        }
    }

    private static final class Masters extends MasterServiceGrpc.MasterServiceImplBase {
        private final MasterEntryPB self;

        Masters(String uuid, HostPort bind, boolean leader) {
            this.self = MasterEntryPB.newBuilder().setUuid(uuid)
                    .setRpcAddress(HostPortPB.newBuilder().setHost(bind.host()).setPort(bind.port()))
                    .setRole(leader ? "LEADER" : "FOLLOWER").setTerm(1).build();
        }

        @Override
        public void listMasters(ListMastersRequestPB request, StreamObserver<ListMastersResponsePB> response) {
            response.onNext(ListMastersResponsePB.newBuilder().addMasters(self).build());
            response.onCompleted();
        }
    }

    private static final class Faults extends FaultInjectionServiceGrpc.FaultInjectionServiceImplBase {
        @Override
        public void inject(FaultRequestPB request, StreamObserver<FaultResponsePB> response) {
            System.out.println("fault: " + request.getAction() + " peer=" + request.getPeerUuid()
                    + " outbound=" + request.getOutbound() + " inbound=" + request.getInbound()
                    + " delay_ms=" + request.getDelayMs());
            System.out.flush();
            response.onNext(FaultResponsePB.getDefaultInstance());
            response.onCompleted();
        }
    }
}
