package basalt.itest.cluster;

import basalt.common.check.Check;
import basalt.proto.FaultRequestPB;
import basalt.proto.ListMastersRequestPB;
import basalt.proto.ListMastersResponsePB;
import basalt.proto.MasterEntryPB;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A cluster of real server processes on 127.0.0.1, for tests and benchmarks.
 *
 * <pre>{@code
 * try (ExternalMiniCluster cluster = ExternalMiniCluster.builder()
 *         .rootDir(dir).numTabletServers(3).start()) {
 *     cluster.tabletServer(0).kill();
 *     cluster.cut(cluster.tabletServer(1), cluster.tabletServer(2));
 *     ...
 * }
 * }</pre>
 *
 * <p>Layout: {@code <root>/<name>/{wal,data,<name>.log}} per server, names {@code ts-0, ts-1, ...} and
 * {@code m-0, m-1, ...} for masters. Masters bind loopback ports reserved before launch (their addresses must
 * be known up front, see {@link #reserveLoopbackPorts}), keep them across restarts, and every server gets
 * {@code --master_addresses} with all of them. {@link Builder#start()} waits until every server serves, not
 * until the masters elect a leader: use {@link #awaitMasterLeader} for that. {@link #close()} stops every process (SIGTERM, then
 * SIGKILL past the stop timeout), closes channels and deletes the root dir unless {@link #keepFiles()} was
 * called, which is what a test does when it failed (see {@code basalt.itest.junit.MiniClusterExtension}).
 *
 * <p>Network faults go through each process's {@code FaultInjectionService}, so they exist only while that
 * process runs: a restarted server comes back healed.
 */
public final class ExternalMiniCluster implements AutoCloseable {
    private static final Duration LIST_MASTERS_DEADLINE = Duration.ofSeconds(2);
    private final Path rootDir;
    // Masters come first in servers(): they are the cluster's control plane.
    private final List<ExternalServer> masters;
    private final List<ExternalServer> tabletServers;
    // Set by keepFiles(); read by close().
    private volatile boolean keepFiles;

    private ExternalMiniCluster(Path rootDir, List<ExternalServer> masters, List<ExternalServer> tabletServers) {
        this.rootDir = rootDir;
        this.masters = List.copyOf(masters);
        this.tabletServers = List.copyOf(tabletServers);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path rootDir() {
        return rootDir;
    }

    /** Every server, masters first. */
    public List<ExternalServer> servers() {
        List<ExternalServer> all = new ArrayList<>(masters);
        all.addAll(tabletServers);
        return all;
    }

    public List<ExternalServer> masters() {
        return masters;
    }

    public List<ExternalServer> tabletServers() {
        return tabletServers;
    }

    public ExternalServer master(int index) {
        Check.arg(index >= 0 && index < masters.size(), "no master %s (there are %s)", index, masters.size());
        return masters.get(index);
    }

    /** Every master's rpc address, comma-joined, as {@code --master_addresses} and {@code -m} take them. */
    public String masterAddresses() {
        return masters.stream().map(master -> master.rpcAddress().toString()).collect(Collectors.joining(","));
    }

    /**
     * Polls ListMasters on every running, unpaused master until one reports itself LEADER, and returns it.
     * A master's own entry is the one it knows best, so only that entry's role counts.
     */
    public ExternalServer awaitMasterLeader(Duration timeout) {
        Check.state(!masters.isEmpty(), "the cluster has no masters");
        return Poll.forValue("a master to report itself LEADER", timeout, () -> {
            RuntimeException lastFailure = null;
            for (ExternalServer master : masters) {
                if (!master.isAlive() || master.isPaused()) {
                    continue;
                }
                try {
                    ListMastersResponsePB response = master.masterStub()
                            .withDeadlineAfter(LIST_MASTERS_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .listMasters(ListMastersRequestPB.getDefaultInstance());
                    for (MasterEntryPB entry : response.getMastersList()) {
                        if (entry.getUuid().equals(master.uuid()) && entry.getRole().equals("LEADER")) {
                            return Optional.of(master);
                        }
                    }
                } catch (RuntimeException e) {
                    lastFailure = e; // not up yet, or stopping: ask the others, then again
                }
            }
            if (lastFailure != null) {
                throw lastFailure; // becomes the cause if the wait times out
            }
            return Optional.empty();
        });
    }

    public ExternalServer tabletServer(int index) {
        Check.arg(index >= 0 && index < tabletServers.size(), "no tablet server %s (there are %s)", index,
                tabletServers.size());
        return tabletServers.get(index);
    }

    /** The server, of any kind, whose uuid this is. */
    public ExternalServer serverByUuid(String uuid) {
        for (ExternalServer server : servers()) {
            if (server.uuid().equals(uuid)) {
                return server;
            }
        }
        throw new IllegalArgumentException("no server has uuid " + uuid + " in " + this);
    }

    /** The log file of every process, for a failure message. */
    public List<Path> logFiles() {
        return servers().stream().map(ExternalServer::logFile).toList();
    }

    // ---- network faults, injected in the transport of the processes involved ----

    /** Cuts {@code a} and {@code b} off from each other, both ways. */
    public void cut(ExternalServer a, ExternalServer b) {
        a.inject(fault(FaultRequestPB.Action.CUT, b, true, true, 0));
        b.inject(fault(FaultRequestPB.Action.CUT, a, true, true, 0));
    }

    /**
     * Drops what {@code from} sends to {@code to}, but not the other way. Both ends are told (outbound at
     * {@code from}, inbound at {@code to}), so the cut holds whichever side enforces it.
     */
    public void cutOneWay(ExternalServer from, ExternalServer to) {
        from.inject(fault(FaultRequestPB.Action.CUT, to, true, false, 0));
        to.inject(fault(FaultRequestPB.Action.CUT, from, false, true, 0));
    }

    /** Cuts {@code server} off from every other server, both ways (a partition of one). */
    public void isolate(ExternalServer server) {
        for (ExternalServer other : servers()) {
            if (other != server) {
                cut(server, other);
            }
        }
    }

    /** Delays what {@code from} sends to {@code to} by {@code delay}; the other way is untouched. */
    public void delay(ExternalServer from, ExternalServer to, Duration delay) {
        Check.arg(!delay.isNegative() && delay.toMillis() <= Integer.MAX_VALUE, "delay %s out of range", delay);
        from.inject(fault(FaultRequestPB.Action.DELAY, to, true, false, (int) delay.toMillis()));
    }

    /**
     * Removes every fault on every running, unpaused server. A paused server cannot answer; heal it after
     * resuming it (or use {@link #heal}).
     */
    public void healAll() {
        for (ExternalServer server : servers()) {
            if (server.isAlive() && !server.isPaused()) {
                heal(server);
            }
        }
    }

    /** Removes every fault on one server. */
    public void heal(ExternalServer server) {
        server.inject(FaultRequestPB.newBuilder().setAction(FaultRequestPB.Action.HEAL).build());
    }

    private static FaultRequestPB fault(FaultRequestPB.Action action, ExternalServer peer, boolean outbound,
            boolean inbound, int delayMs) {
        return FaultRequestPB.newBuilder().setAction(action).setPeerUuid(peer.uuid())
                .setOutbound(outbound).setInbound(inbound).setDelayMs(delayMs).build();
    }

    // ---- shutdown ----

    /** Asks {@link #close()} to leave the root dir and logs in place (a failed test wants them). */
    public void keepFiles() {
        keepFiles = true;
    }

    public boolean keepsFiles() {
        return keepFiles;
    }

    /** Stops every process in parallel, closes channels, and deletes the root dir unless files are kept. */
    @Override
    public void close() {
        forEachInParallel(servers(), ExternalServer::close);
        if (!keepFiles) {
            deleteRecursively(rootDir);
        }
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("ExternalMiniCluster at ").append(rootDir);
        for (ExternalServer server : servers()) {
            text.append("\n  ").append(server);
        }
        return text.toString();
    }

    /** Runs {@code action} on every server at once (one virtual thread each) and rethrows the first failure. */
    static void forEachInParallel(List<ExternalServer> servers, Consumer<ExternalServer> action) {
        List<Thread> threads = new ArrayList<>();
        List<RuntimeException> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (ExternalServer server : servers) {
            threads.add(Thread.ofVirtual().name("itest-" + server.name()).start(() -> {
                try {
                    action.accept(server);
                } catch (RuntimeException | Error e) {
                    failures.add(new IllegalStateException(server.name() + ": " + e.getMessage(), e));
                }
            }));
        }
        for (Thread thread : threads) {
            try {
                thread.join(); // each action bounds its own waits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    if (failure != null) {
                        throw failure;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    /**
     * Reserves {@code count} distinct loopback ports for servers whose addresses must be known before they
     * start (masters: every master is launched with the whole list). Each port is bound on 127.0.0.1 with
     * port 0 so the OS picks a free one, read, and released; all are held open together so they differ.
     *
     * <p>There is a small race: between the release here and the server's bind, another process may take
     * the port. The OS hands out ephemeral ports in rotation, so this is rare; the server then fails to
     * bind, exits, and the cluster's start fails naming its log, rather than anything silently misbehaving.
     */
    public static List<Integer> reserveLoopbackPorts(int count) {
        Check.arg(count >= 0, "count %s must not be negative", count);
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                sockets.add(socket);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reserve " + count + " loopback ports", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // nothing was accepted on it; closing cannot lose anything
                }
            }
        }
    }

    /** Describes a cluster, then {@link #start()}s it. Every setting has a default but the root dir. */
    public static final class Builder {
        private Path rootDir;
        private int numMasters = 0;
        private int numTabletServers = 1;
        private String mainClass = "basalt.cli.BasaltMain";
        private String classpath = JavaCommand.currentClasspath();
        private List<String> jvmOptions = JavaCommand.DEFAULT_JVM_OPTIONS;
        private List<String> tabletServerFlags = List.of();
        private List<String> masterFlags = List.of();
        private Duration startTimeout = Duration.ofSeconds(60);
        private Duration stopTimeout = Duration.ofSeconds(15);

        private Builder() {}

        /** Where every server's dirs and logs go; created if missing. */
        public Builder rootDir(Path dir) {
            this.rootDir = dir;
            return this;
        }

        /**
         * How many masters (default 0: tablet servers alone, with no {@code --master_addresses}). Masters
         * bind reserved loopback ports and every server is told all of them.
         */
        public Builder numMasters(int count) {
            Check.arg(count >= 0, "numMasters %s must not be negative", count);
            this.numMasters = count;
            return this;
        }

        public Builder numTabletServers(int count) {
            Check.arg(count >= 0, "numTabletServers %s must not be negative", count);
            this.numTabletServers = count;
            return this;
        }

        /** The class whose {@code main} runs a server; it takes the subcommand first ({@code tserver}). */
        public Builder mainClass(String className) {
            this.mainClass = className;
            return this;
        }

        public Builder classpath(String value) {
            this.classpath = value;
            return this;
        }

        /** Replaces the JVM options (default {@link JavaCommand#DEFAULT_JVM_OPTIONS}). */
        public Builder jvmOptions(List<String> options) {
            this.jvmOptions = List.copyOf(options);
            return this;
        }

        /** Flags appended to every tablet server's command line, after the dir and bind flags. */
        public Builder tabletServerFlags(List<String> flags) {
            this.tabletServerFlags = List.copyOf(flags);
            return this;
        }

        /** Flags appended to every master's command line, after the dir and bind flags. */
        public Builder masterFlags(List<String> flags) {
            this.masterFlags = List.copyOf(flags);
            return this;
        }

        /** How long one server may take from launch to answering GetStatus. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** How long a server may take to exit after SIGTERM before it gets SIGKILL. */
        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = timeout;
            return this;
        }

        /**
         * Launches every server at once, then waits until each serves. On failure, stops what started, keeps
         * the root dir, and throws with the paths of the logs.
         */
        public ExternalMiniCluster start() {
            Check.state(rootDir != null, "rootDir is required");
            try {
                Files.createDirectories(rootDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + rootDir, e);
            }
            JavaCommand command = new JavaCommand(JavaCommand.forCurrentJvm(mainClass).javaExecutable(), classpath,
                    jvmOptions, mainClass);
            List<Integer> masterPorts = reserveLoopbackPorts(numMasters);
            String masterAddresses = masterPorts.stream().map(port -> "127.0.0.1:" + port)
                    .collect(Collectors.joining(","));
            List<ExternalServer> masters = new ArrayList<>();
            for (int i = 0; i < numMasters; i++) {
                masters.add(server(ServerKind.MASTER, i, command, masterAddresses, masterPorts.get(i), masterFlags));
            }
            List<ExternalServer> tabletServers = new ArrayList<>();
            for (int i = 0; i < numTabletServers; i++) {
                tabletServers.add(server(ServerKind.TABLET_SERVER, i, command, masterAddresses, 0,
                        tabletServerFlags));
            }
            ExternalMiniCluster cluster = new ExternalMiniCluster(rootDir, masters, tabletServers);
            try {
                // All launched before any is awaited: JVM start-ups overlap, which is most of the time.
                // Tablet servers need no master to be up: they heartbeat every interval until one answers.
                forEachInParallel(cluster.servers(), server -> server.launch(0, 0));
                forEachInParallel(cluster.servers(), server -> server.awaitReady(startTimeout));
                return cluster;
            } catch (RuntimeException e) {
                cluster.keepFiles();
                try {
                    cluster.close();
                } catch (RuntimeException closeFailure) {
                    e.addSuppressed(closeFailure);
                }
                throw new IllegalStateException("mini cluster did not start; kept " + rootDir + ", logs:\n  "
                        + String.join("\n  ", cluster.logFiles().stream().map(Path::toString).toList()), e);
            }
        }

        private ExternalServer server(ServerKind kind, int index, JavaCommand command, String masterAddresses,
                int fixedRpcPort, List<String> flags) {
            String name = kind.shortName() + "-" + index;
            return new ExternalServer(kind, name, rootDir.resolve(name), command, masterAddresses, fixedRpcPort,
                    flags, startTimeout, stopTimeout);
        }
    }
}
