package basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.proto.MasterEntryPB;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: {@code basalt local-cluster} starts real server processes, describes them in cluster.json, stops
 * every one on SIGTERM with exit 0, and a restart on the same DIR brings back the same servers (same uuids,
 * same master address).
 * Method: the command runs as a child JVM of the test, exactly as an operator runs it; the test waits (with
 * a deadline) for cluster.json, asks the master for the leader, sends SIGTERM, and checks every pid is gone.
 */
class LocalClusterCommandTest {
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(45);
    private static final Pattern MEMBER = Pattern.compile("\\{\"kind\": \"(master|tserver)\", \"name\": \"([^\"]+)\", "
            + "\"uuid\": \"([^\"]+)\", \"pid\": (\\d+), \"rpc_address\": \"([^\"]+)\", \"web_address\": (null|\"[^\"]+\")}");

    @TempDir
    Path dir;

    // The local-cluster JVM of the current step, and every server pid seen; all killed after the test.
    private Process localCluster;
    private final List<Long> serverPids = new ArrayList<>();

    private record Member(String kind, String name, String uuid, long pid, String rpcAddress, String webAddress) {}

    @Test
    void startsStopsCleanlyAndRestartsTheSameCluster() throws Exception {
        Path data = dir.resolve("cluster");

        List<Member> first = startAndAwaitClusterJson(data, 0);
        assertThat(first).extracting(Member::kind).containsExactly("master", "tserver");
        Member master = first.get(0);
        List<MasterEntryPB> masters = MasterAdmin.list(List.of(HostPort.parse(master.rpcAddress())), Duration.ofSeconds(30));
        assertThat(masters).singleElement().satisfies(entry -> {
            assertThat(entry.getUuid()).isEqualTo(master.uuid());
            assertThat(entry.getRole()).isEqualTo("LEADER");
        });
        assertThat(first).allSatisfy(member -> assertThat(isAlive(member.pid())).as(member.name()).isTrue());
        java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + master.webAddress() + "/")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains(master.uuid(), "LEADER");
        stopAndAssertEveryServerExited(first);
        assertThat(data.resolve(LocalCluster.CLUSTER_JSON)).doesNotExist();

        // The same DIR with other counts is refused before anything starts.
        StringWriter err = new StringWriter();
        int refused = BasaltMain.execute(new String[] {"local-cluster", "--masters", "3", "--data", data.toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertThat(refused).isEqualTo(2);
        assertThat(err.toString()).contains("holds a cluster of 1 master(s), not 3");

        List<Member> second = startAndAwaitClusterJson(data, 1);
        assertThat(second).extracting(Member::uuid).containsExactlyElementsOf(first.stream().map(Member::uuid).toList());
        assertThat(second.get(0).rpcAddress()).isEqualTo(master.rpcAddress());
        assertThat(second).extracting(Member::pid).doesNotContainAnyElementsOf(first.stream().map(Member::pid).toList());
        stopAndAssertEveryServerExited(second);
    }

    /**
     * Goal: a server that dies while the cluster starts stops the whole start, naming the server and its log.
     * Method: hold the master's port open, so the master cannot bind it and exits; start in-process.
     */
    @Test
    void aServerThatDiesWhileStartingFailsTheStartNamingItsLog() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            int basePort = taken.getLocalPort() - LocalClusterLayout.MASTER_PORT_OFFSET;
            LocalCluster cluster = new LocalCluster(dir.resolve("doomed"), LocalClusterLayout.create(1, 0, basePort),
                    new PrintWriter(new StringWriter(), true));
            try {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> cluster.start(STARTUP_TIMEOUT))
                        .hasMessageContaining("master-1 (pid")
                        .hasMessageContaining("while starting")
                        .hasMessageContaining(dir.resolve("doomed").resolve("master-1.log").toString());
            } finally {
                cluster.stop(STOP_TIMEOUT);
            }
        }
    }

    private List<Member> startAndAwaitClusterJson(Path data, int run) throws IOException {
        Path output = dir.resolve("local-cluster-" + run + ".out");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(LocalCluster.JVM_OPTIONS);
        command.add("-cp");
        String surefire = System.getProperty("surefire.test.class.path");
        command.add(surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path"));
        command.addAll(List.of(LocalCluster.MAIN_CLASS, "local-cluster", "--masters", "1", "--tservers", "1",
                "--data", data.toString(), "--format", "json"));
        localCluster = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();

        Path clusterJson = data.resolve(LocalCluster.CLUSTER_JSON);
        long deadlineNanos = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        // Bounded by the deadline; local-cluster writes cluster.json atomically once every server serves.
        while (!Files.exists(clusterJson)) {
            assertThat(localCluster.isAlive()).as("local-cluster exited early: %s", readQuietly(output)).isTrue();
            assertThat(System.nanoTime()).as("no cluster.json after %s: %s", STARTUP_TIMEOUT, readQuietly(output))
                    .isLessThan(deadlineNanos);
            poll();
        }
        List<Member> members = parse(Files.readString(clusterJson));
        members.forEach(member -> serverPids.add(member.pid()));
        return members;
    }

    private void stopAndAssertEveryServerExited(List<Member> members) throws InterruptedException {
        localCluster.destroy(); // SIGTERM, as Ctrl-C or a supervisor would send
        assertThat(localCluster.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("local-cluster stopped").isTrue();
        assertThat(localCluster.exitValue()).isZero();
        assertThat(members).allSatisfy(member -> assertThat(isAlive(member.pid())).as(member.name()).isFalse());
    }

    private static List<Member> parse(String json) {
        List<Member> members = new ArrayList<>();
        Matcher matcher = MEMBER.matcher(json);
        while (matcher.find()) {
            assertThat(matcher.group(6)).matches("\"127\\.0\\.0\\.1:\\d+\""); // every server serves its web UI
            members.add(new Member(matcher.group(1), matcher.group(2), matcher.group(3), Long.parseLong(matcher.group(4)),
                    matcher.group(5), matcher.group(6).replace("\"", "")));
        }
        assertThat(json.trim()).startsWith("[").endsWith("]");
        return members;
    }

    private static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(no output)";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static void poll() {
        try {
            TimeUnit.MILLISECONDS.sleep(100); // between checks of a condition bounded by a deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    @AfterEach
    void killEverything() {
        // A safety net for a failed assertion: no server outlives the test, whoever its parent is by now.
        if (localCluster != null) {
            localCluster.descendants().forEach(ProcessHandle::destroyForcibly);
            localCluster.destroyForcibly();
        }
        for (long pid : serverPids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
