package basalt.itest.master;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.cli.MasterAdmin;
import basalt.common.net.HostPort;
import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.JavaCommand;
import basalt.itest.cluster.ServerKind;
import basalt.itest.junit.MiniClusterExtension;
import basalt.itest.workload.MasterClient;
import basalt.proto.CreateTableResponsePB;
import basalt.proto.ListTablesRequestPB;
import basalt.proto.ListTablesResponsePB;
import basalt.proto.MasterEntryPB;
import basalt.proto.RequestIdPB;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goal: the master group changes online while a DDL loop runs. One master grows to three and then to
 * five (each new master starts empty, joins as a learner, copies the catalog, and is promoted); then a
 * killed master is replaced by a new one on another port and removed; no DDL the loop saw succeed is
 * lost. Tablet servers, started knowing only the first master, learn the others from heartbeats.
 */
class MasterMembershipTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(1).numTabletServers(3));

    private final List<ExternalServer> extraMasters = new ArrayList<>();
    private int sequence;

    @Test
    void growFromOneToThreeThenReplaceADeadMaster() throws Exception {
        ExternalMiniCluster cluster = extension.get();
        List<HostPort> current = new ArrayList<>(List.of(cluster.master(0).rpcAddress()));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.Set<String> loopCreated = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (MasterClient masters = new MasterClient(() -> List.copyOf(current), Duration.ofSeconds(2));
             MasterClient loopClient = new MasterClient(() -> List.copyOf(current), Duration.ofSeconds(2))) {
            createTable(masters, "before_growth");
            Thread ddlLoop = new Thread(() -> {
                // Bounded: stops when asked, or after 500 tables.
                for (int i = 0; i < 500 && !stop.get(); i++) {
                    String name = "loop_" + i;
                    RequestIdPB id = RequestIdPB.newBuilder().setClientId("loop").setSequence(i + 1)
                            .setFirstIncompleteSequence(i + 1).build();
                    CreateTableResponsePB created = loopClient.call(stub -> stub.createTable(
                            MasterDdlTest.createRequest(name, 1, id)),
                            r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
                    if (!created.hasError()) {
                        loopCreated.add(name);
                    }
                }
            }, "ddl-loop");
            ddlLoop.start();

            ExternalServer second = startJoiningMaster(cluster, current, "m-extra-1");
            MasterAdmin.add(List.copyOf(current), second.rpcAddress(), DEADLINE);
            current.add(second.rpcAddress());
            ExternalServer third = startJoiningMaster(cluster, current, "m-extra-2");
            MasterAdmin.add(List.copyOf(current), third.rpcAddress(), DEADLINE);
            current.add(third.rpcAddress());

            List<MasterEntryPB> group = MasterAdmin.list(List.copyOf(current), DEADLINE);
            assertThat(group).hasSize(3);
            assertThat(group.stream().filter(m -> m.getRole().equals("LEADER"))).hasSize(1);
            assertThat(group.stream().filter(m -> m.getRole().equals("LEARNER"))).isEmpty();
            createTable(masters, "with_three");

            for (String name : List.of("m-extra-4", "m-extra-5")) {
                ExternalServer next = startJoiningMaster(cluster, current, name);
                MasterAdmin.add(List.copyOf(current), next.rpcAddress(), DEADLINE);
                current.add(next.rpcAddress());
            }
            assertThat(MasterAdmin.list(List.copyOf(current), DEADLINE)).as("grown to five").hasSize(5);
            // The operator's view, through the CLI contract (CLI.md: JSON keys uuid, rpc_address, role, term).
            java.io.StringWriter out = new java.io.StringWriter();
            int exit = basalt.cli.BasaltMain.execute(new String[] {"master", "list", "-m",
                    current.stream().map(HostPort::toString).collect(Collectors.joining(",")), "--format", "json"},
                    new java.io.PrintWriter(out, true), new java.io.PrintWriter(new java.io.StringWriter(), true));
            assertThat(exit).isZero();
            assertThat(out.toString().trim()).startsWith("[").endsWith("]").contains("\"uuid\"", "\"rpc_address\"",
                    "\"role\": \"LEADER\"", "\"term\"");
            assertThat(out.toString().split("\"uuid\"", -1)).as("five masters listed").hasSize(6);
            createTable(masters, "with_five");
            stop.set(true);
            ddlLoop.join(DEADLINE.toMillis());
            assertThat(ddlLoop.isAlive()).as("the DDL loop stopped").isFalse();
            assertThat(loopCreated).as("the DDL loop made progress during the changes").isNotEmpty();

            // The first master dies; the two others carry on, and a new master replaces it.
            HostPort dead = cluster.master(0).rpcAddress();
            cluster.master(0).kill();
            current.remove(dead);
            createTable(masters, "after_kill");
            ExternalServer replacement = startJoiningMaster(cluster, current, "m-extra-3");
            // The replacement goes through the operator's commands (CLI.md), as an operator would run it.
            assertThat(cli("master", "add", "-m", joined(current), replacement.rpcAddress().toString()))
                    .as("basalt master add exit code").isZero();
            current.add(replacement.rpcAddress());
            assertThat(cli("master", "remove", "-m", joined(current), dead.toString()))
                    .as("basalt master remove exit code").isZero();
            assertThat(cli("master", "remove", "-m", joined(current)))
                    .as("a usage error: no address to remove").isEqualTo(2);
            assertThat(MasterAdmin.list(List.copyOf(current), DEADLINE)).extracting(MasterEntryPB::getUuid)
                    .hasSize(5).contains(second.uuid(), third.uuid(), replacement.uuid())
                    .doesNotContain(cluster.master(0).uuid());
            createTable(masters, "after_replacement");

            ListTablesResponsePB tables = masters.call(stub -> stub.listTables(ListTablesRequestPB.getDefaultInstance()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
            java.util.Set<String> names = tables.getTablesList().stream().map(t -> t.getName()).collect(Collectors.toSet());
            assertThat(names).contains("before_growth", "with_three", "with_five", "after_kill", "after_replacement")
                    .as("every create the loop saw succeed is in effect").containsAll(loopCreated);
            assertThat(tables.getTablesCount()).as("no table twice").isEqualTo(names.size());
        } finally {
            extraMasters.forEach(ExternalServer::close);
        }
    }

    private ExternalServer startJoiningMaster(ExternalMiniCluster cluster, List<HostPort> current, String name) throws Exception {
        int port = ExternalMiniCluster.reserveLoopbackPorts(1).get(0);
        List<String> all = new ArrayList<>(current.stream().map(HostPort::toString).toList());
        all.add("127.0.0.1:" + port);
        ExternalServer server = new ExternalServer(ServerKind.MASTER, name, cluster.rootDir().resolve(name),
                JavaCommand.forCurrentJvm("basalt.cli.BasaltMain"), String.join(",", all), port, List.of(),
                Duration.ofSeconds(60), Duration.ofSeconds(30));
        extraMasters.add(server);
        server.start();
        return server;
    }

    private void createTable(MasterClient masters, String name) {
        RequestIdPB id = RequestIdPB.newBuilder().setClientId("membership").setSequence(++sequence)
                .setFirstIncompleteSequence(sequence).build();
        CreateTableResponsePB created = masters.call(stub -> stub.createTable(MasterDdlTest.createRequest(name, 1, id)),
                r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), DEADLINE);
        assertThat(created.hasError()).as("create %s: %s", name, created.getError()).isFalse();
        MasterDdlTest.awaitCreated(masters, created.getTableId());
    }

    private static String joined(java.util.Collection<HostPort> masters) {
        return masters.stream().map(HostPort::toString).collect(Collectors.joining(","));
    }

    /** Runs a {@code basalt} command in this JVM, as bin/basalt would; returns its exit code. */
    private static int cli(String... args) {
        return basalt.cli.BasaltMain.execute(args, new java.io.PrintWriter(new java.io.StringWriter(), true),
                new java.io.PrintWriter(new java.io.StringWriter(), true));
    }
}
