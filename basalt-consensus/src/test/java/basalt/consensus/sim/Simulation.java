package basalt.consensus.sim;

import basalt.common.history.History;
import basalt.common.history.KeyValueChecker;
import basalt.common.history.Operation;
import basalt.common.history.Result;
import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.Entry;
import basalt.consensus.core.HardState;
import basalt.consensus.core.Input;
import basalt.consensus.core.Membership;
import basalt.consensus.core.MembershipChange;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.consensus.core.ProposalResult;
import basalt.consensus.core.RaftConfig;
import basalt.consensus.core.Ready;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A deterministic simulation of one Raft group: replicas, a lossy network, disks that lose unsynced
 * writes, crashes and restarts, membership changes, leadership transfers, WAL GC with tablet copies, and
 * clients running reads, writes and compare-and-sets against a replicated register.
 *
 * <p>Method: one thread, one event queue ordered by (time, sequence), one root seed split into one
 * random stream per concern, so the same seed replays the same run. Invariants run after every event.
 * A run has a safety phase (faults on) and then a liveness phase (everything healed), after which the
 * group must commit a fresh proposal on every member within a bound, and the client history must be
 * linearizable. Time is counted in units; one tick is {@link #TICK_UNITS} units.
 */
public final class Simulation {
    public static final int TICK_UNITS = 10;
    private static final int KEYS = 3;
    private static final int CLIENTS = 3;
    private static final long CLIENT_TIMEOUT_UNITS = 60 * TICK_UNITS;
    private static final long MAX_EVENTS_PER_PHASE = 20_000_000;

    /** A client operation waiting for the replica it was proposed to, to apply its index. */
    record PendingClientOp(Client client, OpId opId, long operationId) {}

    /** One simulated client: at most one operation outstanding; a new process after an unknown outcome. */
    static final class Client {
        final int number;
        int process;
        long operationId;
        Operation.Function function;
        boolean outstanding;
        long invokedAt;
        Optional<NodeId> leaderGuess = Optional.empty();

        Client(int number) {
            this.number = number;
            this.process = number;
        }
    }

    private sealed interface Event {
        record Tick(NodeId node, int incarnation) implements Event {}
        record Deliver(Message message) implements Event {}
        record SyncDone(NodeId node, int incarnation, long sequence) implements Event {}
        record ClientStep(int client) implements Event {}
        record Nemesis() implements Event {}
        record TabletCopy(NodeId source, NodeId target) implements Event {}
        record Crash(NodeId node, int incarnation) implements Event {}
    }

    private record Scheduled(long time, long sequence, Event event) {}

    private final long seed;
    private final FaultPlan faults;
    private final RaftConfig raftConfig;
    private final CoreFactory coreFactory;
    private final Map<NodeId, SimNode> nodes = new TreeMap<>();
    private final Map<NodeId, SplittableRandom> coreRandoms = new TreeMap<>();
    private final SplittableRandom networkRandom;
    private final SplittableRandom diskRandom;
    private final SplittableRandom clientRandom;
    private final SplittableRandom nemesisRandom;
    private final SimNetwork network;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>(
            (a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.sequence, b.sequence));
    private long sequence;
    private long now;
    private long events;
    private long traceHash = 17;
    /** With {@code -Dsim.trace=true}, a replayed run prints every core event and fault as it happens. */
    private final boolean trace = Boolean.getBoolean("sim.trace");

    private final List<Client> clients = new ArrayList<>();
    private final History history = new History();
    private int nextProcess = CLIENTS;
    private long nextOperationId = 1;
    private boolean clientsRunning = true;
    private boolean nemesisRunning = true;

    private final OneLeaderPerTerm oneLeaderPerTerm = new OneLeaderPerTerm();
    private final LogMatchingInvariant logMatching = new LogMatchingInvariant();
    private final CommittedNeverChanges committedNeverChanges = new CommittedNeverChanges();
    private final LeaderCompleteness leaderCompleteness = new LeaderCompleteness();
    private final AckedIsDurable ackedIsDurable = new AckedIsDurable();
    private final CommitIndexMonotonic commitIndexMonotonic = new CommitIndexMonotonic();
    private final LeaderStepsDownWithoutQuorum leaderStepsDown;

    public Simulation(long seed, int voters, FaultPlan faults, CoreFactory coreFactory) {
        this.seed = seed;
        this.faults = faults;
        this.coreFactory = coreFactory;
        SplittableRandom root = new SplittableRandom(seed);
        this.networkRandom = root.split();
        this.diskRandom = root.split();
        this.clientRandom = root.split();
        this.nemesisRandom = root.split();
        this.raftConfig = RaftConfig.DEFAULT.withMaxAppendBytes(faults.maxAppendBytes()).withMaxInflightAppends(4);
        this.network = new SimNetwork(faults.dropProbability(), faults.duplicateProbability(), faults.maxDelayUnits());
        this.leaderStepsDown = new LeaderStepsDownWithoutQuorum(
                2L * raftConfig.electionTimeoutTicks() * TICK_UNITS, (2L * raftConfig.electionTimeoutTicks() + 2) * TICK_UNITS);

        List<NodeId> voterIds = new ArrayList<>();
        for (int i = 1; i <= voters; i++) {
            voterIds.add(NodeId.of("n" + i));
        }
        Membership bootstrap = Membership.ofVoters(voterIds);
        Membership none = Membership.ofVoters(List.of());
        for (int i = 1; i <= voters + faults.spareNodes(); i++) {
            NodeId id = NodeId.of("n" + i);
            coreRandoms.put(id, root.split());
            nodes.put(id, new SimNode(id, i <= voters ? bootstrap : none));
        }
        // Half the seeds create the group as a master creates a tablet: every voter starts in term 1 having
        // voted for n1, which leads term 1 at once without an election (Input.LeadFirstTerm).
        NodeId firstTermLeader = NodeId.of("n1");
        boolean preElected = voters > 0 && root.split().nextBoolean();
        if (preElected) {
            for (NodeId voter : voterIds) {
                nodes.get(voter).disk.hardState = new HardState(1, Optional.of(firstTermLeader), new ConfigAt(0, bootstrap));
            }
        }
        for (SimNode node : nodes.values()) {
            startNode(node);
        }
        if (preElected) {
            SimNode leader = nodes.get(firstTermLeader);
            handleReady(leader, leader.core.step(new Input.LeadFirstTerm()));
        }
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(new Client(i));
            schedule(1 + clientRandom.nextInt(TICK_UNITS * 5), new Event.ClientStep(i));
        }
        schedule(TICK_UNITS * 20, new Event.Nemesis());
    }

    // ---------------------------------------------------------------- phases

    /** Safety phase: faults on, clients running, invariants after every event. */
    public void runWithFaults(long ticks) {
        runUntil(now + ticks * TICK_UNITS, () -> false);
    }

    /** Ends every fault: restarts crashed replicas, heals the network, stops the nemesis. */
    public void healAll() {
        nemesisRunning = false;
        network.healAll();
        network.dropProbability = 0;
        network.duplicateProbability = 0;
        network.maxDelayUnits = Math.min(network.maxDelayUnits, 3);
        for (SimNode node : nodes.values()) {
            if (!node.up) {
                startNode(node);
            }
        }
    }

    /**
     * Liveness phase: within {@code maxTicks}, a leader commits a fresh write and every member of its
     * group applies it. Fails with the reason when the group does not make progress.
     */
    public void requireProgress(long maxTicks) {
        long deadline = now + maxTicks * TICK_UNITS;
        long[] probeIndex = {-1};
        OpId[] probe = {null};
        boolean done = runUntil(deadline, () -> {
            Optional<SimNode> leader = readyLeader();
            if (leader.isEmpty()) {
                return false;
            }
            SimNode l = leader.get();
            if (probe[0] == null || l.log.term(probe[0].index()) != probe[0].term()) {
                Ready ready = l.core.step(new Input.Propose(List.of(
                        KvStateMachine.command(0, "W|probe|" + now))));
                handleReady(l, ready);
                probe[0] = ready.proposal().flatMap(ProposalResult::firstOpId).orElse(null);
                probeIndex[0] = probe[0] == null ? -1 : probe[0].index();
                return false;
            }
            for (NodeId member : l.core.membership().members()) {
                SimNode node = nodes.get(member);
                if (!node.up || node.appliedIndex() < probeIndex[0]) {
                    return false;
                }
            }
            return true;
        });
        if (!done) {
            fail("Liveness", "after healing, no leader committed a new write on every member within " + maxTicks
                    + " ticks; " + describeNodes());
        }
    }

    /** Stops the clients, marks what is still outstanding as unknown, and checks the history. */
    public Result checkHistory() {
        clientsRunning = false;
        for (Client client : clients) {
            if (client.outstanding) {
                history.info(client.process, now);
                client.outstanding = false;
            }
        }
        Result result = KeyValueChecker.check(history.operations());
        if (!result.isLinearizable() && result.verdict() != Result.Verdict.UNKNOWN) {
            fail("Linearizability", "the client history is not linearizable: " + result.explanation());
        }
        return result;
    }

    /** Members that applied the same index hold the same state. */
    public void checkReplicasAgree() {
        Map<Long, Map<String, String>> stateByIndex = new TreeMap<>();
        Map<Long, NodeId> holder = new TreeMap<>();
        for (SimNode node : nodes.values()) {
            Map<String, String> values = node.stateMachine.values();
            Map<String, String> known = stateByIndex.putIfAbsent(node.appliedIndex(), values);
            holder.putIfAbsent(node.appliedIndex(), node.id);
            if (known != null && !known.equals(values)) {
                fail("ReplicasAgree", node.id + " and " + holder.get(node.appliedIndex())
                        + " applied up to index " + node.appliedIndex() + " but hold different values");
            }
        }
    }

    public long traceHash() {
        return traceHash;
    }

    public int operationCount() {
        return history.operations().size();
    }

    public long maxCommittedIndex() {
        return committedNeverChanges.maxCommittedIndex;
    }

    private boolean runUntil(long deadline, java.util.function.BooleanSupplier condition) {
        long budget = MAX_EVENTS_PER_PHASE;
        while (!queue.isEmpty() && queue.peek().time <= deadline) {
            if (budget-- == 0) {
                fail("EventBudget", "more than " + MAX_EVENTS_PER_PHASE + " events in one phase: a livelock");
            }
            Scheduled next = queue.poll();
            now = next.time;
            events++;
            traceHash = traceHash * 31 + next.time * 7 + next.event.hashCode();
            process(next.event);
            if (condition.getAsBoolean()) {
                return true;
            }
        }
        now = Math.max(now, deadline);
        return false;
    }

    // ---------------------------------------------------------------- directed scenarios

    /**
     * A simulation for a directed scenario: no background clients and no nemesis; the test drives the
     * faults itself through the methods below. Every invariant still runs after every event.
     */
    public static Simulation directed(long seed, int voters, CoreFactory coreFactory, long maxAppendBytes) {
        FaultPlan calm = FaultPlan.calm();
        FaultPlan plan = new FaultPlan(0, 0, calm.maxDelayUnits(), calm.maxSyncUnits(), 0, 0, 0, false, false,
                false, calm.nemesisPeriodTicks(), maxAppendBytes, 0);
        Simulation simulation = new Simulation(seed, voters, plan, coreFactory);
        simulation.clientsRunning = false;
        simulation.nemesisRunning = false;
        return simulation;
    }

    /** Runs until {@code condition} holds, at most {@code maxTicks}; returns whether it held. */
    public boolean runUntil(java.util.function.BooleanSupplier condition, long maxTicks) {
        return condition.getAsBoolean() || runUntil(now + maxTicks * TICK_UNITS, condition);
    }

    public boolean isLeader(String id) {
        SimNode node = nodes.get(NodeId.of(id));
        return node.up && node.core.isLeaderReady();
    }

    /** Leads, ready or not (a leader whose no-op has not committed yet). */
    public boolean isLeaderAnyState(String id) {
        SimNode node = nodes.get(NodeId.of(id));
        return node.up && node.core.isLeader();
    }

    public long commitIndex(String id) {
        return nodes.get(NodeId.of(id)).core.commitIndex();
    }

    public long lastIndex(String id) {
        return nodes.get(NodeId.of(id)).log.lastIndex();
    }

    /** Cuts every link to and from {@code id}. */
    public void isolate(String id) {
        for (NodeId other : nodes.keySet()) {
            if (!other.value().equals(id)) {
                network.cut(NodeId.of(id), other);
                network.cut(other, NodeId.of(id));
            }
        }
    }

    /** Restores the links between {@code a} and {@code b}, both ways. */
    public void connect(String a, String b) {
        network.restore(NodeId.of(a), NodeId.of(b));
        network.restore(NodeId.of(b), NodeId.of(a));
    }

    public void crashNode(String id) {
        crash(nodes.get(NodeId.of(id)));
    }

    /** Proposes a write of {@code key} at {@code id}, as a client that does not wait would. */
    public void proposeWrite(String id, String key, String value) {
        SimNode node = nodes.get(NodeId.of(id));
        step(node, new Input.Propose(List.of(KvStateMachine.command(nextOperationId++, "W|" + key + "|" + value))));
    }

    public void transferLeadership(String from, String to) {
        step(nodes.get(NodeId.of(from)), new Input.TransferLeadership(NodeId.of(to)));
    }

    // ---------------------------------------------------------------- events

    private void process(Event event) {
        switch (event) {
            case Event.Tick(NodeId id, int incarnation) -> {
                SimNode node = nodes.get(id);
                if (!node.up || node.incarnation != incarnation) {
                    return;
                }
                step(node, new Input.Tick());
                check("LeaderStepsDownWithoutQuorum", leaderStepsDown.check(node, now));
                schedule(now + TICK_UNITS, new Event.Tick(id, incarnation));
            }
            case Event.Deliver(Message message) -> deliver(message);
            case Event.SyncDone(NodeId id, int incarnation, long syncSequence) -> syncDone(id, incarnation, syncSequence);
            case Event.ClientStep(int number) -> clientStep(clients.get(number));
            case Event.Nemesis() -> nemesis();
            case Event.TabletCopy(NodeId source, NodeId target) -> tabletCopy(nodes.get(source), nodes.get(target));
            case Event.Crash(NodeId id, int incarnation) -> {
                SimNode node = nodes.get(id);
                if (nemesisRunning && node.up && node.incarnation == incarnation) {
                    if (trace) {
                        trace("nemesis: crash new leader " + id);
                    }
                    crash(node);
                }
            }
        }
    }

    private void deliver(Message message) {
        SimNode target = nodes.get(message.to());
        if (!target.up || network.isCut(message.from(), message.to())) {
            return;
        }
        if (message instanceof Message.AppendResponse && target.core.isLeader()
                && message.term() == target.core.term()) {
            target.lastHeardFrom.put(message.from(), now);
        }
        step(target, new Input.Receive(message));
    }

    private void syncDone(NodeId id, int incarnation, long syncSequence) {
        SimNode node = nodes.get(id);
        if (!node.up || node.incarnation != incarnation) {
            return;
        }
        node.disk.syncThrough(syncSequence);
        while (!node.waitingForSync.isEmpty() && node.waitingForSync.peekFirst().sequence() <= syncSequence) {
            for (Message message : node.waitingForSync.pollFirst().messages()) {
                send(node, message);
            }
        }
        step(node, new Input.LogDurable(node.disk.lastDurableOpId()));
    }

    /** Feeds one input to a replica and carries out its Ready, then runs the per-replica invariants. */
    private Ready step(SimNode node, Input input) {
        boolean wasLeader = node.core.isLeader();
        long termBefore = node.core.term();
        long commitBefore = node.core.commitIndex();
        Ready ready = node.core.step(input);
        handleReady(node, ready);
        check("CommitIndexMonotonic", commitIndexMonotonic.check(node));
        if (node.core.commitIndex() > commitBefore) {
            check("CommittedNeverChanges", committedNeverChanges.onCommit(node, commitBefore, node.core.commitIndex()));
        }
        node.lastCommitIndexSeen = node.core.commitIndex();
        check("OneLeaderPerTerm", oneLeaderPerTerm.check(node));
        if (node.core.isLeader() && (!wasLeader || node.core.term() != termBefore)) {
            node.leaderSince = now;
            node.leaderTerm = node.core.term();
            node.lastHeardFrom.clear();
            check("LeaderCompleteness", leaderCompleteness.onElected(node, committedNeverChanges));
            if (nemesisRandom.nextInt(100) < faults.killNewLeaderPercent()) {
                schedule(now + 1 + nemesisRandom.nextInt(5 * TICK_UNITS), new Event.Crash(node.id, node.incarnation));
            }
        }
        return ready;
    }

    /** The simulated driver: persist, send, apply, start tablet copies, in the order Ready demands. */
    private void handleReady(SimNode node, Ready ready) {
        if (trace) {
            for (var event : ready.events()) {
                trace(event.toString());
            }
        }
        if (ready.hardState().isPresent() || !ready.entries().isEmpty()) {
            long writeSequence = node.disk.write(ready.hardState(), ready.entries());
            if (!ready.entries().isEmpty()) {
                check("LogMatching", logMatching.check(node, ready.entries()));
            }
            long doneAt = Math.max(now + 1 + diskRandom.nextInt(faults.maxSyncUnits()), node.lastSyncDoneAt);
            node.lastSyncDoneAt = doneAt;
            schedule(doneAt, new Event.SyncDone(node.id, node.incarnation, writeSequence));
        }
        for (Message message : ready.sendNow()) {
            send(node, message);
        }
        if (!ready.sendAfterDurable().isEmpty()) {
            // Wait for the fsync that covers the newest write issued so far (this Ready's or an earlier one).
            long covering = node.disk.lastSequence();
            if (node.disk.hasUnsynced()) {
                node.waitingForSync.addLast(new SimNode.WaitingForSync(covering, ready.sendAfterDurable()));
            } else {
                for (Message message : ready.sendAfterDurable()) {
                    send(node, message);
                }
            }
        }
        applyCommitted(node, ready.applyUpTo());
        for (NodeId peer : ready.peersNeedingTabletCopy()) {
            schedule(now + 1 + networkRandom.nextInt(TICK_UNITS * 3), new Event.TabletCopy(node.id, peer));
        }
    }

    private void applyCommitted(SimNode node, long upTo) {
        for (long index = node.appliedIndex() + 1; index <= upTo; index++) {
            Entry entry = node.log.entry(index);
            Optional<KvStateMachine.Result> result = node.stateMachine.apply(entry);
            check("CommittedNeverChanges", committedNeverChanges.onApply(node, entry.opId()));
            PendingClientOp pending = node.pendingByIndex.remove(index);
            if (pending != null) {
                resolve(pending, entry, result);
            }
        }
    }

    private void send(SimNode from, Message message) {
        check("AckedIsDurable", ackedIsDurable.onSend(from, message));
        if (network.isCut(message.from(), message.to()) || networkRandom.nextDouble() < network.dropProbability) {
            return;
        }
        schedule(now + 1 + networkRandom.nextInt(network.maxDelayUnits), new Event.Deliver(message));
        if (networkRandom.nextDouble() < network.duplicateProbability) {
            schedule(now + 1 + networkRandom.nextInt(network.maxDelayUnits * 2), new Event.Deliver(message));
        }
    }

    private void tabletCopy(SimNode source, SimNode target) {
        if (!source.up || !target.up) {
            return;
        }
        KvStateMachine.Snapshot snapshot = source.stateMachine.snapshot();
        if (!target.core.acceptsTabletCopy(snapshot.lastIncluded())) {
            return;
        }
        long chainHash = source.log.chainHash(snapshot.lastIncluded().index());
        target.disk.installTabletCopy(snapshot, chainHash);
        target.stateMachine = new KvStateMachine(snapshot);
        target.log.prepareReset(chainHash);
        target.waitingForSync.clear();
        // Client operations waiting there for an index the copy covers never see it applied locally.
        var covered = new ArrayList<>(((TreeMap<Long, PendingClientOp>) target.pendingByIndex)
                .headMap(snapshot.lastIncluded().index(), true).values());
        for (PendingClientOp pending : covered) {
            target.pendingByIndex.remove(pending.opId().index());
            unknownOutcome(pending.client());
        }
        step(target, new Input.TabletCopyInstalled(snapshot.lastIncluded(), snapshot.config()));
    }

    // ---------------------------------------------------------------- nodes

    private void startNode(SimNode node) {
        if (trace) {
            trace("start " + node.id);
        }
        node.incarnation++;
        SplittableRandom random = coreRandoms.get(node.id).split();
        node.start(n -> coreFactory.create(n.id, raftConfig, n.log, n.disk.hardState,
                n.stateMachine.lastApplied().index(), random));
        node.lastCommitIndexSeen = node.core.commitIndex();
        schedule(now + 1 + random.nextInt(TICK_UNITS), new Event.Tick(node.id, node.incarnation));
    }

    private void crash(SimNode node) {
        node.up = false;
        node.incarnation++;
        node.disk.crash(diskRandom);
        for (PendingClientOp pending : node.pendingByIndex.values()) {
            unknownOutcome(pending.client());
        }
        node.pendingByIndex.clear();
    }

    private Optional<SimNode> readyLeader() {
        SimNode best = null;
        for (SimNode node : nodes.values()) {
            if (node.up && node.core.isLeaderReady() && (best == null || node.core.term() > best.core.term())) {
                best = node;
            }
        }
        return Optional.ofNullable(best);
    }

    // ---------------------------------------------------------------- clients

    private void clientStep(Client client) {
        if (!clientsRunning) {
            return;
        }
        if (client.outstanding && now - client.invokedAt > CLIENT_TIMEOUT_UNITS) {
            unknownOutcome(client);
        }
        if (!client.outstanding) {
            invoke(client);
        }
        schedule(now + 1 + clientRandom.nextInt(TICK_UNITS * 4), new Event.ClientStep(client.number));
    }

    private void invoke(Client client) {
        String key = "k" + clientRandom.nextInt(KEYS);
        long operationId = nextOperationId++;
        String value = "v" + operationId;
        int kind = clientRandom.nextInt(10);
        String command;
        if (kind < 4) {
            client.function = Operation.Function.READ;
            history.invoke(client.process, Operation.Function.READ, key, null, now);
            command = "R|" + key;
        } else if (kind < 8) {
            client.function = Operation.Function.WRITE;
            history.invoke(client.process, Operation.Function.WRITE, key, value, now);
            command = "W|" + key + "|" + value;
        } else {
            client.function = Operation.Function.CAS;
            String expected = clientRandom.nextBoolean() ? "" : "v" + (1 + clientRandom.nextLong(operationId));
            history.invokeCas(client.process, key, expected.isEmpty() ? null : expected, value, now);
            command = "C|" + key + "|" + expected + "|" + value;
        }
        client.outstanding = true;
        client.invokedAt = now;
        client.operationId = operationId;

        SimNode target = client.leaderGuess.map(nodes::get)
                .orElseGet(() -> List.copyOf(nodes.values()).get(clientRandom.nextInt(nodes.size())));
        if (!target.up) {
            history.fail(client.process, now); // never reached a server
            client.outstanding = false;
            client.leaderGuess = Optional.empty();
            return;
        }
        Ready ready = step(target, new Input.Propose(List.of(KvStateMachine.command(operationId, command))));
        ProposalResult result = ready.proposal().orElseThrow();
        if (result.isAccepted()) {
            OpId opId = result.firstOpId().get();
            target.pendingByIndex.put(opId.index(), new PendingClientOp(client, opId, operationId));
            client.leaderGuess = Optional.of(target.id);
        } else {
            history.fail(client.process, now);
            client.outstanding = false;
            client.leaderGuess = result.leaderHint();
        }
    }

    private void resolve(PendingClientOp pending, Entry applied, Optional<KvStateMachine.Result> result) {
        Client client = pending.client();
        if (!client.outstanding || client.operationId != pending.operationId()) {
            return; // the client gave up on this operation already
        }
        if (!applied.opId().equals(pending.opId())) {
            // Another entry won this index, so ours was never committed and never will be (no retries).
            history.fail(client.process, now);
        } else if (client.function == Operation.Function.READ) {
            history.ok(client.process, result.orElseThrow().value(), now);
        } else if (result.orElseThrow().applied()) {
            history.ok(client.process, now);
        } else {
            history.fail(client.process, now); // compare-and-set whose expectation did not hold
        }
        client.outstanding = false;
    }

    /** The client cannot know whether its operation happened: Jepsen's "info"; it continues as a new process. */
    private void unknownOutcome(Client client) {
        if (client.outstanding) {
            history.info(client.process, now);
            client.outstanding = false;
            client.process = nextProcess++;
            client.leaderGuess = Optional.empty();
        }
    }

    // ---------------------------------------------------------------- faults

    private void nemesis() {
        if (!nemesisRunning) {
            return;
        }
        List<SimNode> all = List.copyOf(nodes.values());
        SimNode victim = all.get(nemesisRandom.nextInt(all.size()));
        int roll = nemesisRandom.nextInt(100);
        if (roll < faults.crashPercent()) {
            if (victim.up) {
                if (trace) {
                    trace("nemesis: crash " + victim.id);
                }
                crash(victim);
            } else {
                startNode(victim);
            }
        } else if (roll < faults.crashPercent() + faults.partitionPercent()) {
            partition(victim, all);
        } else if (roll < faults.crashPercent() + faults.partitionPercent() + 10) {
            network.healAll();
        } else if (roll < faults.crashPercent() + faults.partitionPercent() + 20 && faults.membershipChanges()) {
            changeMembership();
        } else if (roll < faults.crashPercent() + faults.partitionPercent() + 28 && faults.transfers()) {
            readyLeader().ifPresent(leader -> {
                List<NodeId> voters = List.copyOf(leader.core.membership().voters());
                step(leader, new Input.TransferLeadership(voters.get(nemesisRandom.nextInt(voters.size()))));
            });
        } else if (faults.walGc() && victim.up) {
            collectGarbage(victim);
        }
        for (SimNode node : all) {
            // Bring back crashed replicas now and then, so a run is not mostly a dead cluster.
            if (!node.up && nemesisRandom.nextInt(4) == 0) {
                startNode(node);
            }
        }
        schedule(now + TICK_UNITS * (5 + nemesisRandom.nextInt(faults.nemesisPeriodTicks())), new Event.Nemesis());
    }

    private void partition(SimNode victim, List<SimNode> all) {
        network.healAll();
        if (trace) {
            trace("nemesis: partition around " + victim.id);
        }
        switch (nemesisRandom.nextInt(3)) {
            case 0 -> { // isolate one replica, both ways
                for (SimNode other : all) {
                    if (other != victim) {
                        network.cut(victim.id, other.id);
                        network.cut(other.id, victim.id);
                    }
                }
            }
            case 1 -> { // split into two random sides
                List<SimNode> sideA = new ArrayList<>();
                for (SimNode node : all) {
                    if (nemesisRandom.nextBoolean()) {
                        sideA.add(node);
                    }
                }
                for (SimNode a : sideA) {
                    for (SimNode b : all) {
                        if (!sideA.contains(b)) {
                            network.cut(a.id, b.id);
                            network.cut(b.id, a.id);
                        }
                    }
                }
            }
            default -> { // one way: the victim hears nobody, or nobody hears the victim
                boolean inbound = nemesisRandom.nextBoolean();
                for (SimNode other : all) {
                    if (other != victim) {
                        if (inbound) {
                            network.cut(other.id, victim.id);
                        } else {
                            network.cut(victim.id, other.id);
                        }
                    }
                }
            }
        }
    }

    /** Add a learner, promote a caught-up learner, or remove a member (never below three voters). */
    private void changeMembership() {
        Optional<SimNode> leaderOrNone = readyLeader();
        if (leaderOrNone.isEmpty()) {
            return;
        }
        SimNode leader = leaderOrNone.get();
        Membership membership = leader.core.membership();
        List<NodeId> outsiders = new ArrayList<>();
        for (NodeId id : nodes.keySet()) {
            if (!membership.contains(id)) {
                outsiders.add(id);
            }
        }
        MembershipChange change;
        if (!membership.learners().isEmpty()) {
            change = new MembershipChange.PromoteLearner(membership.learners().first());
        } else if (!outsiders.isEmpty() && (membership.voters().size() <= 3 || nemesisRandom.nextBoolean())) {
            change = new MembershipChange.AddLearner(outsiders.get(nemesisRandom.nextInt(outsiders.size())));
        } else if (membership.voters().size() > 3) {
            List<NodeId> voters = List.copyOf(membership.voters());
            change = new MembershipChange.RemoveMember(voters.get(nemesisRandom.nextInt(voters.size())));
        } else {
            return;
        }
        if (trace) {
            trace("nemesis: " + change + " via " + leader.id);
        }
        step(leader, new Input.ChangeMembership(change));
    }

    /** Flushes the state machine and deletes WAL entries below it, keeping a random few. */
    private void collectGarbage(SimNode node) {
        long applied = node.appliedIndex();
        long through = applied - nemesisRandom.nextInt(8);
        if (through <= node.log.snapshotOpId().index()) {
            return;
        }
        node.disk.flushAndCollect(node.stateMachine.snapshot(), through, node.log.chainHash(through));
        node.log.compactThrough(through);
    }

    // ---------------------------------------------------------------- plumbing

    private void trace(String text) {
        System.out.printf("%6d %s%n", now, text);
    }

    private void schedule(long time, Event event) {
        queue.add(new Scheduled(time, sequence++, event));
    }

    private void check(String invariant, String violation) {
        if (violation != null) {
            fail(invariant, violation);
        }
    }

    private void fail(String invariant, String violation) {
        throw new SimulationFailure(invariant, String.format(
                "seed=0x%x time=%d (tick %d): %s violated: %s%n  faults: %s%n  replay: %s",
                seed, now, now / TICK_UNITS, invariant, violation, faults, replayCommand(seed)));
    }

    public static String replayCommand(long seed) {
        return String.format("bin/mvn-jdk21 -pl basalt-consensus -am verify -Dtest=RaftSimulationTest "
                + "-Dsurefire.failIfNoSpecifiedTests=false -Dsim.seed=0x%x", seed);
    }

    private String describeNodes() {
        StringBuilder text = new StringBuilder();
        for (SimNode node : nodes.values()) {
            text.append(node.up ? node.core.toString() : node.id + "[down]")
                    .append(" applied=").append(node.appliedIndex()).append(' ');
        }
        return text.toString();
    }

    public long events() {
        return events;
    }
}
