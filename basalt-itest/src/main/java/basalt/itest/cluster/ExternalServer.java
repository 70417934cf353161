package basalt.itest.cluster;

import basalt.common.check.Check;
import basalt.common.net.HostPort;
import basalt.common.server.ServerInfo;
import basalt.common.server.ServerInfoFile;
import basalt.proto.FaultInjectionServiceGrpc;
import basalt.proto.FaultRequestPB;
import basalt.proto.FaultResponsePB;
import basalt.proto.MasterServiceGrpc;
import basalt.proto.ServerStatusRequestPB;
import basalt.proto.ServerStatusResponsePB;
import basalt.proto.TabletServerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One Basalt server as a real process: its dirs, its process, and the protocol that tells when it serves.
 *
 * <p><b>Launch and readiness.</b> The server is launched as
 * {@code <main> <subcommand> [--master_addresses <masters>] --fs_wal_dir <dir>/wal --fs_data_dir <dir>/data
 * --rpc_bind 127.0.0.1:<port> --webserver_port <port> <extra flags>}, with port 0 (the OS chooses) unless a
 * restart pins the previous one. A master's rpc port is fixed at construction and used on every launch:
 * its address is its identity in the master list, so it may never move. The harness removes any old {@code <dir>/data/server-info} first, then waits (with a deadline) until
 * the server writes a new one whose pid is the launched process's pid (see {@link ServerInfoFile}), then
 * until {@code TabletServerService.GetStatus} on the address in that file answers with the same uuid. A
 * process that exits while being waited for fails the wait at once, with the tail of its log.
 *
 * <p>Channels and stubs are created on first use and follow the server to a new port after a restart.
 * Nothing here depends on JUnit, so benchmarks can drive servers too.
 */
public final class ExternalServer implements AutoCloseable {
    private static final int LOG_TAIL_LINES = 30;
    private static final Duration STATUS_PROBE_DEADLINE = Duration.ofSeconds(2);
    private static final Duration FAULT_RPC_DEADLINE = Duration.ofSeconds(5);

    private final ServerKind kind;
    private final Path dir;
    private final ExternalProcess process;
    private final List<String> extraFlags;
    // Every master, comma-joined, passed as --master_addresses; empty: the flag is left out.
    private final String masterAddresses;
    // The rpc port every launch binds, > 0 for masters; 0 lets launch() decide.
    private final int fixedRpcPort;
    private final Duration startTimeout;
    private final Duration stopTimeout;

    // Set when the server has announced itself through server-info; kept after it stops, so a restart can
    // reuse its ports and the uuid stays known. Guarded by this.
    private ServerInfo info;
    // Created on first use for info.rpcAddress(); replaced when the address changes. Guarded by this.
    private ManagedChannel channel;
    private HostPort channelAddress;

    public ExternalServer(ServerKind kind, String name, Path dir, JavaCommand command, List<String> extraFlags,
            Duration startTimeout, Duration stopTimeout) {
        this(kind, name, dir, command, "", 0, extraFlags, startTimeout, stopTimeout);
    }

    /**
     * @param masterAddresses every master, comma-joined, for {@code --master_addresses}; empty for none
     * @param fixedRpcPort the port every launch binds (required, &gt; 0, for a master); 0 for none
     */
    public ExternalServer(ServerKind kind, String name, Path dir, JavaCommand command, String masterAddresses,
            int fixedRpcPort, List<String> extraFlags, Duration startTimeout, Duration stopTimeout) {
        Check.arg(fixedRpcPort >= 0 && fixedRpcPort <= 65535, "fixedRpcPort %s out of range", fixedRpcPort);
        Check.arg(kind != ServerKind.MASTER || fixedRpcPort > 0 && !masterAddresses.isEmpty(),
                "a master needs its fixed rpc port and the master addresses (its address is its identity)");
        this.kind = kind;
        this.dir = dir;
        this.process = new ExternalProcess(name, command, dir.resolve(name + ".log"));
        this.masterAddresses = masterAddresses;
        this.fixedRpcPort = fixedRpcPort;
        this.extraFlags = List.copyOf(extraFlags);
        this.startTimeout = startTimeout;
        this.stopTimeout = stopTimeout;
    }

    public ServerKind kind() {
        return kind;
    }

    public String name() {
        return process.name();
    }

    /** The server's own directory: {@code wal/}, {@code data/} and its log file. */
    public Path dir() {
        return dir;
    }

    public Path walDir() {
        return dir.resolve("wal");
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    public Path logFile() {
        return process.logFile();
    }

    /** The underlying process, for what this class does not wrap. */
    public ExternalProcess process() {
        return process;
    }

    /** Launches on OS-chosen ports and waits until the server serves. */
    public void start() {
        launch(0, 0);
        awaitReady(startTimeout);
    }

    /**
     * Launches the process without waiting; {@code rpcPort} and {@code webPort} 0 let the OS choose (a
     * master always binds its fixed port). Call {@link #awaitReady} next (the mini cluster launches every
     * server first, then waits for each).
     */
    public void launch(int rpcPort, int webPort) {
        try {
            Files.createDirectories(walDir());
            Files.createDirectories(dataDir());
            ServerInfoFile.delete(dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the dirs of " + name() + " under " + dir, e);
        }
        List<String> args = commandLine(rpcPort, webPort);
        // A channel to the previous process may sit in reconnect back-off (up to minutes); the new process
        // gets a fresh one.
        closeChannel();
        process.start(args);
    }

    /** The arguments after the main class for a launch on these ports; see the class comment. */
    List<String> commandLine(int rpcPort, int webPort) {
        Check.arg(fixedRpcPort == 0 || rpcPort == 0 || rpcPort == fixedRpcPort,
                "%s binds its fixed port %s, not %s", name(), fixedRpcPort, rpcPort);
        int port = fixedRpcPort > 0 ? fixedRpcPort : rpcPort;
        List<String> args = new ArrayList<>();
        args.add(kind.subcommand());
        if (!masterAddresses.isEmpty()) {
            args.addAll(List.of("--master_addresses", masterAddresses));
        }
        args.addAll(List.of("--fs_wal_dir", walDir().toString(), "--fs_data_dir", dataDir().toString(),
                "--rpc_bind", "127.0.0.1:" + port, "--webserver_port", Integer.toString(webPort)));
        args.addAll(extraFlags);
        return args;
    }

    /** Waits until the launched process has written its server-info and answers GetStatus. */
    public ServerInfo awaitReady(Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        long pid = process.pid();
        ServerInfo announced = Poll.forValue(name() + " (pid " + pid + ") to write " + ServerInfoFile.path(dataDir()),
                timeout, () -> {
                    abortIfExited();
                    return ServerInfoFile.readIfPresent(dataDir()).filter(candidate -> candidate.pid() == pid);
                });
        synchronized (this) {
            info = announced;
        }
        Duration left = Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
        Poll.forValue(name() + " to answer GetStatus at " + announced.rpcAddress(), left, () -> {
            abortIfExited();
            channel().resetConnectBackoff(); // we poll on our own schedule; do not let gRPC's back-off add to it
            // Never let one probe carry the wait past its deadline (at least a few ms, so it can answer).
            long probeNanos = Math.min(STATUS_PROBE_DEADLINE.toNanos(),
                    Math.max(Duration.ofMillis(50).toNanos(), deadlineNanos - System.nanoTime()));
            ServerStatusResponsePB status = getStatus(Duration.ofNanos(probeNanos));
            Check.state(status.getSelf().getUuid().equals(announced.uuid()),
                    "%s at %s answers as %s, but its server-info says %s", name(), announced.rpcAddress(),
                    status.getSelf().getUuid(), announced.uuid());
            return Optional.of(status);
        });
        return announced;
    }

    private void abortIfExited() {
        if (!process.isAlive()) {
            throw new Poll.AbortWait(name() + " exited with code " + process.exitCode().orElse(-1)
                    + " before it was ready; log " + logFile() + " ends with:\n  "
                    + String.join("\n  ", process.logTail(LOG_TAIL_LINES)));
        }
    }

    /** SIGTERM, then SIGKILL past the stop timeout; returns the exit code (0 for a clean shutdown). */
    public int stop() {
        return process.stop(stopTimeout);
    }

    /** SIGKILL, as {@code kill -9}; returns the exit code (137). */
    public int kill() {
        return process.kill();
    }

    /** SIGSTOP: the process stays, its sockets accept connections, nothing answers. */
    public void pause() {
        process.pause();
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() {
        process.resume();
    }

    /**
     * Stops the server if it runs (SIGTERM), then starts it again on the same dirs and waits until it serves.
     * With {@code samePorts} it binds the ports it had before (as an operator restarting a server in place
     * would); otherwise the OS chooses new ones and channels follow. A master keeps its rpc port either way.
     */
    public void restart(boolean samePorts) {
        if (process.isAlive()) {
            stop();
        }
        startAgain(samePorts);
    }

    /** Starts a server that is not running (killed, stopped or crashed) on the same dirs; see {@link #restart}. */
    public void startAgain(boolean samePorts) {
        Check.state(!process.isAlive(), "%s is still running", name());
        ServerInfo previous = infoOrThrow();
        int rpcPort = samePorts ? previous.rpcAddress().port() : 0;
        int webPort = samePorts && previous.webAddress() != null ? previous.webAddress().port() : 0;
        launch(rpcPort, webPort);
        awaitReady(startTimeout);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public boolean isPaused() {
        return process.isPaused();
    }

    public long pid() {
        return process.pid();
    }

    /** What the server announced at its last start; throws before its first start finished. */
    public synchronized ServerInfo infoOrThrow() {
        Check.state(info != null, "%s has not announced itself (not started or not ready yet)", name());
        return info;
    }

    public String uuid() {
        return infoOrThrow().uuid();
    }

    public HostPort rpcAddress() {
        return infoOrThrow().rpcAddress();
    }

    public Optional<HostPort> webAddress() {
        return Optional.ofNullable(infoOrThrow().webAddress());
    }

    /** A plaintext channel to the server's current rpc address, created on first use. */
    public synchronized ManagedChannel channel() {
        HostPort address = infoOrThrow().rpcAddress();
        if (channel != null && !address.equals(channelAddress)) {
            channel.shutdownNow();
            channel = null;
        }
        if (channel == null) {
            channel = NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext().build();
            channelAddress = address;
        }
        return channel;
    }

    public TabletServerServiceGrpc.TabletServerServiceBlockingStub tabletServerStub() {
        return TabletServerServiceGrpc.newBlockingStub(channel());
    }

    /** The master's RPCs; only a master serves them (a tablet server answers UNIMPLEMENTED). */
    public MasterServiceGrpc.MasterServiceBlockingStub masterStub() {
        return MasterServiceGrpc.newBlockingStub(channel());
    }

    public FaultInjectionServiceGrpc.FaultInjectionServiceBlockingStub faultInjectionStub() {
        return FaultInjectionServiceGrpc.newBlockingStub(channel());
    }

    /** GetStatus with a deadline; throws the gRPC StatusRuntimeException (DEADLINE_EXCEEDED, UNAVAILABLE, ...). */
    public ServerStatusResponsePB getStatus(Duration deadline) {
        return tabletServerStub().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .getStatus(ServerStatusRequestPB.getDefaultInstance());
    }

    /** Sends one fault request and fails unless the server accepted it. */
    public void inject(FaultRequestPB request) {
        FaultResponsePB response = faultInjectionStub()
                .withDeadlineAfter(FAULT_RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .inject(request);
        Check.state(!response.hasError(), "%s refused fault %s: %s", name(), request, response.getError());
    }

    /** Closes the channel, if any; the next call that needs one opens a new one. */
    public synchronized void closeChannel() {
        if (channel != null) {
            channel.shutdownNow();
            channel = null;
        }
    }

    /** Stops the process (SIGTERM, then SIGKILL past the stop timeout) and closes the channel. */
    @Override
    public void close() {
        try {
            stop();
        } finally {
            closeChannel();
        }
    }

    @Override
    public String toString() {
        ServerInfo known;
        synchronized (this) {
            known = info;
        }
        return process + (known == null ? "" : " uuid " + known.uuid() + " rpc " + known.rpcAddress())
                + " log " + logFile();
    }
}
