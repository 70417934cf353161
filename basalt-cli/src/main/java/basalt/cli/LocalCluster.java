package basalt.cli;

import basalt.common.net.HostPort;
import basalt.common.server.ServerInfo;
import basalt.common.server.ServerInfoFile;
import basalt.proto.MasterEntryPB;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A whole cluster of real server processes on 127.0.0.1, each a child JVM of this one, for {@code basalt
 * local-cluster}.
 *
 * <pre>
 * NEW      -> STARTING : start()  launches every master, then every tablet server
 * STARTING -> SERVING  : every server wrote server-info with the pid we launched, and a master leads
 * STARTING -> STOPPED  : a child exited, the deadline passed, or stop() was called (start() throws)
 * SERVING  -> STOPPED  : stop()   SIGTERM to every child, SIGKILL to those still alive at the deadline
 * </pre>
 *
 * <p>Layout of DIR: {@code master-N/{wal,data}}, {@code tserver-N/{wal,data}}, {@code <name>.log} (stdout and
 * stderr of each child, appended across runs), {@code local-cluster.properties} ({@link LocalClusterLayout}),
 * {@code cluster.json} (written once SERVING, removed on a clean stop) and {@code local-cluster.lock} (held
 * while this process runs, so two local clusters never share a DIR).
 */
final class LocalCluster {
    static final String CLUSTER_JSON = "cluster.json";
    static final String LOCK_FILE = "local-cluster.lock";
    static final String MAIN_CLASS = "basalt.cli.BasaltMain";

    /**
     * Many small server JVMs share a laptop's cores: a small heap, the serial collector (no GC threads per
     * process), the C1 compiler only (fast start), no perf-data files, a quick death on OOM, IPv4 loopback.
     */
    static final List<String> JVM_OPTIONS = List.of(
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1",
            "-XX:-UsePerfData",
            "-XX:+ExitOnOutOfMemoryError",
            "--enable-native-access=ALL-UNNAMED",
            "-Djava.net.preferIPv4Stack=true");

    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    private static final Duration LEADER_PROBE = Duration.ofSeconds(2);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** One launched server. {@code kind} is "master" or "tserver". */
    record Child(String name, String kind, Path dataDir, Path logFile, Process process) {}

    /** One serving server, as cluster.json lists it. */
    record Member(String name, String kind, ServerInfo info) {}

    private final Path dir;
    private final PrintWriter err;
    private final List<String> extraJvmOptions;
    private LocalClusterLayout layout;

    // Appended to only by start(), under this; read by stop().
    private final List<Child> children = new ArrayList<>();
    // Set once by stop(); start() launches nothing after it and gives up. Guarded by this.
    private boolean stopping;
    // Held from start() until stop(); null otherwise. Guarded by this.
    private FileChannel lockChannel;

    LocalCluster(Path dir, LocalClusterLayout layout, PrintWriter err) {
        this(dir, layout, err, List.of());
    }

    /** {@code extraJvmOptions} go after {@link #JVM_OPTIONS}, so they win (a benchmark asks for C2 and a bigger heap). */
    LocalCluster(Path dir, LocalClusterLayout layout, PrintWriter err, List<String> extraJvmOptions) {
        this.dir = dir.toAbsolutePath().normalize();
        this.layout = layout;
        this.err = err;
        this.extraJvmOptions = List.copyOf(extraJvmOptions);
    }

    Path dir() {
        return dir;
    }

    List<HostPort> masterAddresses() {
        return layout.masterPorts().stream().map(port -> new HostPort("127.0.0.1", port)).toList();
    }

    /**
     * Launches every server and waits until the cluster serves, then writes cluster.json. On any failure
     * every child launched so far is stopped before this throws.
     */
    List<Member> start(Duration timeout) throws IOException {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        Files.createDirectories(dir);
        lock();
        Files.deleteIfExists(dir.resolve(CLUSTER_JSON)); // a previous run's pids must not mislead anyone
        layout.write(dir);
        Runtime.getRuntime().addShutdownHook(new Thread(this::killSurvivors, "local-cluster-kill-children"));
        try {
            String masters = String.join(",", masterAddresses().stream().map(HostPort::toString).toList());
            for (int i = 0; i < layout.masters(); i++) {
                launch("master-" + (i + 1), "master", List.of("--master_addresses", masters,
                        "--rpc_bind", "127.0.0.1:" + layout.masterPorts().get(i)));
            }
            for (int i = 0; i < layout.tservers(); i++) {
                launch("tserver-" + (i + 1), "tserver", List.of("--master_addresses", masters,
                        "--rpc_bind", "127.0.0.1:" + layout.tserverPorts().get(i)));
            }
            List<Member> members = awaitServing(deadlineNanos);
            // Tablet replicas know their peers by address: a restart reuses the ports bound this time.
            layout = layout.withTserverPorts(members.stream().filter(m -> m.kind().equals("tserver"))
                    .map(m -> m.info().rpcAddress().port()).toList());
            layout.write(dir);
            LocalClusterLayout.writeAtomically(dir.resolve(CLUSTER_JSON), toJson(members) + "\n");
            watchForUnexpectedExits();
            return members;
        } catch (IOException | RuntimeException e) {
            stop(Duration.ofSeconds(20));
            throw e;
        }
    }

    private synchronized void launch(String name, String kind, List<String> serverArgs) throws IOException {
        if (stopping) {
            throw new IllegalStateException("stopped while starting");
        }
        Path serverDir = dir.resolve(name);
        Path walDir = serverDir.resolve("wal");
        Path dataDir = serverDir.resolve("data");
        Files.createDirectories(walDir);
        Files.createDirectories(dataDir);
        ServerInfoFile.delete(dataDir); // so a stale file from a killed run is never taken for readiness
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(JVM_OPTIONS);
        command.addAll(extraJvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(MAIN_CLASS);
        command.add(kind);
        command.addAll(List.of("--fs_wal_dir", walDir.toString(), "--fs_data_dir", dataDir.toString(),
                "--webserver_port", "0"));
        command.addAll(serverArgs);
        Path logFile = dir.resolve(name + ".log");
        Files.writeString(logFile, "==== " + Instant.now() + " local-cluster starts " + name + ": " + kind + " "
                        + String.join(" ", command.subList(command.indexOf(MAIN_CLASS) + 2, command.size())) + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        children.add(new Child(name, kind, dataDir, logFile, process));
    }

    private List<Member> awaitServing(long deadlineNanos) throws IOException {
        String waitingFor = "nothing yet";
        // Bounded by the deadline; each pass costs at most one POLL_INTERVAL or one LEADER_PROBE.
        while (System.nanoTime() < deadlineNanos) {
            List<Member> members = new ArrayList<>();
            waitingFor = null;
            for (Child child : snapshot()) {
                if (!child.process().isAlive()) {
                    throw new IllegalStateException(child.name() + " (pid " + child.process().pid()
                            + ") exited with code " + child.process().exitValue() + " while starting; see "
                            + child.logFile());
                }
                Optional<ServerInfo> info = readInfo(child);
                if (info.isPresent() && info.get().pid() == child.process().pid()) {
                    members.add(new Member(child.name(), child.kind(), info.get()));
                } else if (waitingFor == null) {
                    waitingFor = child.name() + " to write its server-info (log " + child.logFile() + ")";
                }
            }
            synchronized (this) {
                if (stopping) {
                    throw new IllegalStateException("stopped while starting");
                }
            }
            if (waitingFor == null) {
                try {
                    List<MasterEntryPB> view = MasterAdmin.list(masterAddresses(), LEADER_PROBE);
                    if (view.stream().anyMatch(m -> m.getRole().equals("LEADER"))) {
                        return members;
                    }
                } catch (IllegalStateException e) {
                    // no leader yet: ask again until the deadline
                }
                waitingFor = "a master to become leader (logs " + dir.resolve("master-*.log") + ")";
            } else {
                pause();
            }
        }
        throw new IllegalStateException("the cluster did not come up in time: still waiting for " + waitingFor);
    }

    private static Optional<ServerInfo> readInfo(Child child) {
        try {
            return ServerInfoFile.readIfPresent(child.dataDir());
        } catch (IOException e) {
            return Optional.empty(); // written atomically, so this is a stale or foreign file: wait for ours
        }
    }

    /** After startup, a child that exits on its own is reported at once; the others keep serving. */
    private void watchForUnexpectedExits() {
        for (Child child : snapshot()) {
            child.process().onExit().thenAccept(process -> {
                synchronized (this) {
                    if (stopping) {
                        return;
                    }
                }
                err.println("basalt local-cluster: " + child.name() + " (pid " + process.pid() + ") exited with code "
                        + process.exitValue() + "; see " + child.logFile());
            });
        }
    }

    /**
     * Stops every child: SIGTERM to all at once, a wait of up to {@code timeout}, then SIGKILL to any still
     * alive. Idempotent. Removes cluster.json (its pids are gone) and releases DIR. Returns the children.
     */
    List<Child> stop(Duration timeout) {
        List<Child> toStop;
        synchronized (this) {
            stopping = true;
            toStop = List.copyOf(children);
        }
        for (Child child : toStop) {
            child.process().destroy();
        }
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        for (Child child : toStop) {
            if (!waitFor(child.process(), Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())))) {
                err.println("basalt local-cluster: " + child.name() + " (pid " + child.process().pid()
                        + ") ignored SIGTERM; killing it");
                child.process().destroyForcibly();
                if (!waitFor(child.process(), KILL_WAIT)) {
                    err.println("basalt local-cluster: " + child.name() + " (pid " + child.process().pid()
                            + ") survived SIGKILL");
                }
            }
        }
        try {
            Files.deleteIfExists(dir.resolve(CLUSTER_JSON));
        } catch (IOException e) {
            err.println("basalt local-cluster: cannot remove " + dir.resolve(CLUSTER_JSON) + ": " + e.getMessage());
        }
        unlock();
        return toStop;
    }

    private synchronized List<Child> snapshot() {
        return List.copyOf(children);
    }

    /** The last resort when this JVM exits without stop(): no server outlives its local cluster. */
    private void killSurvivors() {
        for (Child child : snapshot()) {
            child.process().destroyForcibly();
        }
    }

    private synchronized void lock() throws IOException {
        FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("another local-cluster runs on " + dir + " (it holds " + LOCK_FILE + ")");
        }
        lockChannel = channel;
    }

    private synchronized void unlock() {
        if (lockChannel != null) {
            try {
                lockChannel.close(); // releases the lock
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                lockChannel = null;
            }
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static boolean waitFor(Process process, Duration timeout) {
        try {
            process.onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private static void pause() {
        try {
            TimeUnit.NANOSECONDS.sleep(POLL_INTERVAL.toNanos()); // between polls of a loop bounded by its deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting");
        }
    }

    /** cluster.json: a list of objects with keys kind, uuid, pid, rpc_address, web_address (CLI contract). */
    static String toJson(List<Member> members) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < members.size(); i++) {
            ServerInfo info = members.get(i).info();
            json.append(i == 0 ? "\n  " : ",\n  ")
                    .append("{\"kind\": ").append(quote(members.get(i).kind()))
                    .append(", \"name\": ").append(quote(members.get(i).name()))
                    .append(", \"uuid\": ").append(quote(info.uuid()))
                    .append(", \"pid\": ").append(info.pid())
                    .append(", \"rpc_address\": ").append(quote(info.rpcAddress().toString()))
                    .append(", \"web_address\": ")
                    .append(info.webAddress() == null ? "null" : quote(info.webAddress().toString()))
                    .append('}');
        }
        return json.append(members.isEmpty() ? "]" : "\n]").toString();
    }

    static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
