package basalt.tserver;

import basalt.common.check.Check;
import basalt.common.net.HostPort;
import basalt.proto.HeartbeatRequestPB;
import basalt.proto.HeartbeatResponsePB;
import basalt.proto.HostPortPB;
import basalt.proto.MasterServiceGrpc;
import basalt.proto.PeerPB;
import basalt.proto.TabletReportPB;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends this tablet server's heartbeat (who it is, and a report of every hosted replica) to every known
 * master at once, every interval, and keeps what the answers teach: the current master set and which
 * master leads (ARCHITECTURE "Master": tablet servers heartbeat to every master; only the leader acts).
 *
 * <p><b>The master set.</b> It starts from {@code --master_addresses} plus the set persisted in
 * {@code <fs_data_dir>/masters} by an earlier run (a union, so a restart with an old flag still finds
 * masters added since, and one current address is enough to join). Answers change it:
 * <ul>
 *   <li>a master that says it leads, in a term at least as high as any seen, <em>replaces</em> the set with
 *       its list (additions and removals);</li>
 *   <li>any other answer only <em>adds</em> the masters it lists (a follower may lag behind a removal), and
 *       only when its term is newer than that of the last set a leader gave, so a lagging follower of the
 *       same term cannot bring back a master its leader removed;</li>
 *   <li>answers from an older term teach nothing about the set (a deposed master), and answers from a
 *       master no longer in the set are ignored (a removed master may still run).</li>
 * </ul>
 * An empty list never empties the set. Every change is written to {@code <fs_data_dir>/masters}.
 *
 * <p><b>The leader.</b> An answer names a leader when it says it leads (then the leader is the master we
 * sent to) or when it carries a leader uuid and address. A named leader replaces the known one when its
 * term is at least the highest term seen (Raft: one leader per term, so a higher term wins). When the known
 * leader itself answers that it no longer leads, in its term or later, the leader is forgotten.
 *
 * <p><b>Reports.</b> Each master gets a full report of the hosted replicas first, then only the reports that
 * changed since the one it acknowledged (and the tablets gone), so a server with tens of thousands of
 * replicas costs the masters almost nothing per heartbeat. A master that does not hold the acknowledged
 * report (it restarted, or took in a heartbeat whose answer was lost) says so and gets a full report at
 * once; every {@value #FULL_REPORT_EVERY}th heartbeat is full anyway.
 *
 * <p><b>Bounds.</b> At most one heartbeat is in flight per master (a slow master gets skipped rounds, not a
 * queue), each with a {@link #RPC_DEADLINE} deadline. Failures are logged at debug and counted.
 *
 * <p>{@link #start()} schedules rounds; {@link #heartbeatOnce()} sends one round and is what tests drive.
 */
public final class Heartbeater implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeater.class);
    public static final Duration RPC_DEADLINE = Duration.ofSeconds(1);
    public static final String MASTERS_FILE = "masters";
    /** A full report after this many incremental ones to a master, though nothing asked for it. */
    static final int FULL_REPORT_EVERY = 240;

    /** The master that leads, as last learned, in the term it leads. */
    public record LeaderMaster(String uuid, HostPort address, long term) {}

    private final PeerPB self;
    private final Supplier<List<TabletReportPB>> reports;
    private final Path mastersFile;
    private final long heartbeatIntervalMs;
    private final Duration rpcDeadline;
    private final ScheduledExecutorService scheduler;
    private final AtomicLong heartbeatsSucceeded = new AtomicLong();
    private final AtomicLong heartbeatsFailed = new AtomicLong();
    private final AtomicLong heartbeatsSkipped = new AtomicLong();

    // The current master set, in the order learned; a link owns its channel. Guarded by this.
    private final Map<HostPort, MasterLink> masters = new LinkedHashMap<>();
    // The highest leader term any answer carried; answers from older terms teach nothing. Guarded by this.
    private long highestTermSeen;
    // The term of the last master set a leader gave us, -1 before any; see the class comment. Guarded by this.
    private long leaderSetTerm = -1;
    // Empty until an answer names a leader; cleared when that leader says it no longer leads. Guarded by this.
    private LeaderMaster leader;
    // Set by close(); no round starts after it. Guarded by this.
    private boolean closed;

    /**
     * @param self this tablet server's uuid and rpc address, sent in every heartbeat
     * @param reports the report of every hosted replica, asked for once per round
     * @param masterAddresses the masters from the flag; must not be empty (no masters: no heartbeater)
     * @param dataDir where {@value #MASTERS_FILE} keeps the learned set across restarts
     */
    public Heartbeater(PeerPB self, Supplier<List<TabletReportPB>> reports, List<HostPort> masterAddresses,
            Path dataDir, long heartbeatIntervalMs) throws IOException {
        this(self, reports, masterAddresses, dataDir, heartbeatIntervalMs, RPC_DEADLINE);
    }

    /** With another deadline per heartbeat: tests whose first call pays for a cold JVM on a loaded machine. */
    Heartbeater(PeerPB self, Supplier<List<TabletReportPB>> reports, List<HostPort> masterAddresses,
            Path dataDir, long heartbeatIntervalMs, Duration rpcDeadline) throws IOException {
        Check.arg(!masterAddresses.isEmpty(), "a heartbeater needs at least one master address");
        Check.arg(heartbeatIntervalMs >= 1, "heartbeatIntervalMs %s must be >= 1", heartbeatIntervalMs);
        this.self = self;
        this.reports = reports;
        this.mastersFile = dataDir.resolve(MASTERS_FILE);
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        this.rpcDeadline = rpcDeadline;
        Set<HostPort> initial = new LinkedHashSet<>(masterAddresses);
        initial.addAll(loadMasters(mastersFile));
        for (HostPort address : initial) {
            masters.put(address, new MasterLink(address));
        }
        saveMasters();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "heartbeater");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Sends a round now and then every interval until {@link #close()}. */
    public void start() {
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                heartbeatOnce();
            } catch (RuntimeException e) {
                LOG.error("a heartbeat round failed to start", e);
            }
        }, 0, heartbeatIntervalMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Sends one heartbeat to every current master whose previous one has finished. The future completes
     * once each of them answered, failed or timed out, and their answers have been taken in.
     */
    public CompletableFuture<Void> heartbeatOnce() {
        return heartbeat(false);
    }

    /**
     * Something the masters should hear about at once happened (a replica started to lead): sends a round
     * now, and to a master whose previous heartbeat is still in flight, one more as soon as it finishes,
     * since that one carries reports from before the news.
     */
    public void heartbeatNow() {
        heartbeat(true);
    }

    private CompletableFuture<Void> heartbeat(boolean resendIfBusy) {
        List<MasterLink> targets;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            targets = List.copyOf(masters.values());
        }
        Map<String, TabletReportPB> current = currentReports();
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (MasterLink link : targets) {
            sent.add(link.send(current, resendIfBusy));
        }
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
    }

    private Map<String, TabletReportPB> currentReports() {
        Map<String, TabletReportPB> current = new LinkedHashMap<>();
        for (TabletReportPB report : reports.get()) {
            current.put(report.getTablet().getTabletId(), report);
        }
        return current;
    }

    /** The current master set, in the order learned. */
    public synchronized List<HostPort> masters() {
        return List.copyOf(masters.keySet());
    }

    /** The master that leads, as far as the answers so far tell. */
    public synchronized Optional<LeaderMaster> leaderMaster() {
        return Optional.ofNullable(leader);
    }

    public long heartbeatsSucceeded() {
        return heartbeatsSucceeded.get();
    }

    public long heartbeatsFailed() {
        return heartbeatsFailed.get();
    }

    /** Rounds in which a master was skipped because its previous heartbeat had not finished. */
    public long heartbeatsSkipped() {
        return heartbeatsSkipped.get();
    }

    /** Stops the rounds and closes every channel; heartbeats in flight fail. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        List<MasterLink> links;
        synchronized (this) {
            closed = true;
            links = List.copyOf(masters.values());
            masters.clear();
        }
        links.forEach(MasterLink::close);
    }

    /** Takes in one answer from the master at {@code from}; see the class comment for the rules. */
    synchronized void onHeartbeatResponse(HostPort from, HeartbeatResponsePB response) {
        if (closed || !masters.containsKey(from)) {
            return;
        }
        long term = response.getLeaderTerm();
        boolean current = term >= highestTermSeen;
        Optional<LeaderMaster> named = response.getLeader()
                ? Optional.of(new LeaderMaster(response.getLeaderUuid(), from, term))
                : !response.getLeaderUuid().isEmpty() && response.hasLeaderAddress()
                ? Optional.of(new LeaderMaster(response.getLeaderUuid(), toHostPort(response.getLeaderAddress()), term))
                : Optional.empty();
        if (named.isPresent() && current) {
            if (!named.get().equals(leader)) {
                LOG.info("master leader is now {} at {} (term {})", named.get().uuid(), named.get().address(), term);
            }
            leader = named.get();
        } else if (named.isEmpty() && leader != null && leader.address().equals(from) && term >= leader.term()) {
            LOG.info("master {} at {} no longer leads (term {})", leader.uuid(), from, term);
            leader = null;
        }
        boolean fromLeader = response.getLeader();
        if (current && response.getMastersCount() > 0 && (fromLeader || term > leaderSetTerm)) {
            Set<HostPort> listed = new LinkedHashSet<>();
            for (PeerPB master : response.getMastersList()) {
                listed.add(toHostPort(master.getAddress()));
            }
            updateMasters(listed, fromLeader);
            if (fromLeader) {
                leaderSetTerm = term;
            }
        }
        highestTermSeen = Math.max(highestTermSeen, term);
    }

    /** Adds every listed master; with {@code replace}, also drops those not listed. Guarded by this. */
    private void updateMasters(Set<HostPort> listed, boolean replace) {
        boolean changed = false;
        if (replace) {
            for (var iterator = masters.entrySet().iterator(); iterator.hasNext(); ) {
                Map.Entry<HostPort, MasterLink> entry = iterator.next();
                if (!listed.contains(entry.getKey())) {
                    LOG.info("master {} left the master set", entry.getKey());
                    entry.getValue().close();
                    iterator.remove();
                    changed = true;
                }
            }
            if (leader != null && !masters.containsKey(leader.address())) {
                leader = null;
            }
        }
        for (HostPort address : listed) {
            if (!masters.containsKey(address)) {
                LOG.info("master {} joined the master set", address);
                masters.put(address, new MasterLink(address));
                changed = true;
            }
        }
        if (changed) {
            saveMasters();
        }
    }

    private static HostPort toHostPort(HostPortPB address) {
        return new HostPort(address.getHost(), address.getPort());
    }

    static List<HostPort> loadMasters(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<HostPort> loaded = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                loaded.add(HostPort.parse(line.trim()));
            }
        }
        return loaded;
    }

    /** Replaces the file atomically; a failure is logged, since the set in memory is still right. Guarded by this. */
    private void saveMasters() {
        List<String> lines = masters.keySet().stream().map(HostPort::toString).toList();
        try {
            Path temp = mastersFile.resolveSibling(mastersFile.getFileName() + ".tmp");
            Files.write(temp, lines, StandardCharsets.UTF_8);
            Files.move(temp, mastersFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("could not save the master set to {}: {}", mastersFile, e.toString());
        }
    }

    /** One master: a channel kept for the life of its membership, and its one heartbeat in flight. */
    private final class MasterLink {
        private final HostPort address;
        private final ManagedChannel channel;
        private final MasterServiceGrpc.MasterServiceStub stub;
        private final AtomicBoolean inFlight = new AtomicBoolean();
        // Set when news arrived while a heartbeat was in flight: send a fresh one when it finishes.
        private final AtomicBoolean resendWanted = new AtomicBoolean();
        // What this master acknowledged holding, and that report's number; 0 = nothing: send a full
        // report. Touched only by the one heartbeat in flight (inFlight hands it over).
        private Map<String, TabletReportPB> acknowledged = Map.of();
        private long acknowledgedSequence;
        private long nextSequence = 1;
        private int incrementalSinceFull;

        MasterLink(HostPort address) {
            this.address = address;
            this.channel = NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext().build();
            this.stub = MasterServiceGrpc.newStub(channel);
        }

        CompletableFuture<Void> send(Map<String, TabletReportPB> current, boolean resendIfBusy) {
            if (!inFlight.compareAndSet(false, true)) {
                if (resendIfBusy) {
                    resendWanted.set(true);
                }
                heartbeatsSkipped.incrementAndGet();
                return CompletableFuture.completedFuture(null);
            }
            HeartbeatRequestPB request = report(current);
            // gRPC backs off reconnecting for up to minutes; a master that restarts must hear from us
            // within a round, and our rounds are the back-off we want.
            if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
                channel.resetConnectBackoff();
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            stub.withDeadlineAfter(rpcDeadline.toMillis(), TimeUnit.MILLISECONDS).heartbeat(request,
                    new StreamObserver<>() {
                        @Override
                        public void onNext(HeartbeatResponsePB response) {
                            heartbeatsSucceeded.incrementAndGet();
                            if (response.getNeedsFullReport()) {
                                acknowledgedSequence = 0;
                                resendWanted.set(true);
                            } else {
                                acknowledged = current;
                                acknowledgedSequence = request.getReportSequence();
                            }
                            try {
                                onHeartbeatResponse(address, response);
                            } catch (RuntimeException e) {
                                // A malformed answer (an address that does not parse) must not stop the
                                // heartbeats: this master is skipped for the round, the set stays as it was.
                                LOG.warn("master {} sent an answer we cannot use: {}", address, e.toString());
                            }
                        }

                        @Override
                        public void onError(Throwable failure) {
                            heartbeatsFailed.incrementAndGet();
                            LOG.debug("heartbeat to master {} failed: {}", address, failure.toString());
                            finish();
                        }

                        @Override
                        public void onCompleted() {
                            finish();
                        }

                        private void finish() {
                            inFlight.set(false);
                            done.complete(null);
                            if (resendWanted.getAndSet(false)) {
                                synchronized (Heartbeater.this) {
                                    if (closed) {
                                        return;
                                    }
                                }
                                send(currentReports(), false);
                            }
                        }
                    });
            return done;
        }

        /**
         * A full report when this master holds none of ours (first contact, it asked, or now and then as a
         * safety net), else the reports that differ from the acknowledged ones and the tablets gone since.
         * A failed heartbeat leaves the acknowledged state alone: the next diff covers what it carried, and a
         * master that took it in anyway answers that it needs a full report.
         */
        private HeartbeatRequestPB report(Map<String, TabletReportPB> current) {
            HeartbeatRequestPB.Builder request = HeartbeatRequestPB.newBuilder().setServer(self)
                    .setReportSequence(nextSequence++);
            if (acknowledgedSequence == 0 || ++incrementalSinceFull >= FULL_REPORT_EVERY) {
                incrementalSinceFull = 0;
                return request.setFullReport(true).addAllTablets(current.values()).build();
            }
            request.setBaseSequence(acknowledgedSequence);
            for (TabletReportPB report : current.values()) {
                if (!report.equals(acknowledged.get(report.getTablet().getTabletId()))) {
                    request.addTablets(report);
                }
            }
            for (String tabletId : acknowledged.keySet()) {
                if (!current.containsKey(tabletId)) {
                    request.addRemovedTabletIds(tabletId);
                }
            }
            return request.build();
        }

        void close() {
            channel.shutdownNow();
        }
    }
}
