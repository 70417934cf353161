package basalt.bench.consensus;

import basalt.consensus.core.Input;
import basalt.consensus.core.Message;
import basalt.consensus.core.OpId;
import basalt.consensus.core.RaftConfig;
import basalt.consensus.core.RaftCore;
import basalt.consensus.core.Ready;
import basalt.consensus.core.Role;
import com.google.protobuf.ByteString;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of {@link RaftCore#step} for one replica of a 3-voter group in term {@link Groups#TERM}.
 * Every score is steps (inputs handled, each returning its {@link Ready}) per second on one thread,
 * except where a method says otherwise. The Ready is handed to a {@link Blackhole}: what the driver would
 * do with it (fsync, send) is not measured, nor is decoding the message.
 *
 * <p>No benchmark lets the log grow: logs are {@link BoundedRaftLog} rings, and each TearDown checks that
 * the replica is still in the state the benchmark claims to measure.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RaftCoreStepBenchmark {

    /** (a) A follower that holds the leader's whole log receives heartbeats: empty, prev matches. */
    @State(Scope.Thread)
    public static class FollowerHeartbeat {
        RaftCore core;
        Input.Receive heartbeat;

        @Setup(Level.Trial)
        public void setUp() {
            core = Groups.follower(RaftConfig.DEFAULT);
            heartbeat = new Input.Receive(Groups.heartbeatFromN2(core));
        }

        @TearDown(Level.Trial)
        public void checkState() {
            Ready ready = core.step(heartbeat);
            Message.AppendResponse response = (Message.AppendResponse) ready.sendNow().get(0);
            Groups.check(core.role() instanceof Role.Follower && response.success()
                    && core.log().lastIndex() == Groups.HISTORY_ENTRIES, "follower left its steady state: " + core);
        }
    }

    @Benchmark
    public Ready followerHeartbeat(FollowerHeartbeat state) {
        return state.core.step(state.heartbeat);
    }

    /**
     * (b) The leader handles successful AppendResponses, each moving a peer's match index forward by one.
     * Measured: {@link #RESPONSES_PER_BATCH} steps per invocation, n2 then n3 acknowledging each index of
     * a batch in turn (n2's acknowledgement commits the index: the leader's own copy is durable). Not
     * measured: the Setup per invocation that proposes the batch of 100-byte entries, marks it durable and
     * builds the response messages.
     */
    @State(Scope.Thread)
    public static class LeaderResponses {
        static final int BATCH_ENTRIES = 1_000;
        RaftCore core;
        final Input.Receive[] responses = new Input.Receive[2 * BATCH_ENTRIES];
        List<ByteString> batch;

        @Setup(Level.Trial)
        public void setUp() {
            core = Groups.leader(RaftConfig.DEFAULT);
            ByteString[] payloads = new ByteString[BATCH_ENTRIES];
            for (int i = 0; i < BATCH_ENTRIES; i++) {
                payloads[i] = Groups.payload(100, i);
            }
            batch = List.of(payloads);
        }

        @Setup(Level.Invocation)
        public void proposeBatch() {
            long before = core.log().lastIndex();
            core.step(new Input.Propose(batch));
            core.step(new Input.LogDurable(core.log().lastOpId()));
            for (int i = 0; i < BATCH_ENTRIES; i++) {
                responses[2 * i] = new Input.Receive(Groups.acceptedBy(Groups.N2, before + 1 + i));
                responses[2 * i + 1] = new Input.Receive(Groups.acceptedBy(Groups.N3, before + 1 + i));
            }
        }

        @TearDown(Level.Iteration)
        public void checkState() {
            Groups.check(core.isLeader() && core.commitIndex() == core.log().lastIndex(),
                    "leader should have committed every batch: " + core);
        }
    }

    static final int RESPONSES_PER_BATCH = 2 * LeaderResponses.BATCH_ENTRIES;

    @Benchmark
    @OperationsPerInvocation(RESPONSES_PER_BATCH)
    public void leaderAppendResponse(LeaderResponses state, Blackhole blackhole) {
        RaftCore core = state.core;
        for (Input.Receive response : state.responses) {
            blackhole.consume(core.step(response));
        }
    }

    /**
     * (c) One 100-byte entry from proposal to commit, as the leader sees it: Propose, the LogDurable for
     * its own fsync, and the AppendResponses of n2 (which commits it) and n3. The primary score counts
     * entries per second; the {@code steps} secondary score counts the four steps.
     */
    @State(Scope.Thread)
    public static class LeaderPropose {
        RaftCore core;
        Input.Propose propose;

        @Setup(Level.Trial)
        public void setUp() {
            core = Groups.leader(RaftConfig.DEFAULT);
            propose = new Input.Propose(List.of(Groups.payload(100, 1)));
        }

        @TearDown(Level.Iteration)
        public void checkState() {
            Groups.check(core.isLeader() && core.commitIndex() == core.log().lastIndex(),
                    "leader should have committed every entry: " + core);
        }
    }

    /** Steps as a secondary, per-second score of {@link #leaderProposeCommit}. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class StepCounter {
        public long steps;

        @Setup(Level.Iteration)
        public void reset() {
            steps = 0;
        }
    }

    @Benchmark
    public void leaderProposeCommit(LeaderPropose state, StepCounter counter, Blackhole blackhole) {
        RaftCore core = state.core;
        blackhole.consume(core.step(state.propose));
        OpId entry = core.log().lastOpId();
        blackhole.consume(core.step(new Input.LogDurable(entry)));
        blackhole.consume(core.step(new Input.Receive(Groups.acceptedBy(Groups.N2, entry.index()))));
        blackhole.consume(core.step(new Input.Receive(Groups.acceptedBy(Groups.N3, entry.index()))));
        counter.steps += 4;
    }

    /**
     * (d) Tick on a follower that hears nothing in between. The election timeout is set far beyond what
     * an iteration can tick through (at least 2^29 ticks) and the follower is rebuilt before each
     * iteration, so every measured tick is the ordinary "count and compare" one, never an election.
     */
    @State(Scope.Thread)
    public static class IdleFollower {
        static final RaftConfig NEVER_TIMES_OUT = RaftConfig.DEFAULT.withElectionTimeoutTicks(1 << 29);
        RaftCore core;
        final Input.Tick tick = new Input.Tick();

        @Setup(Level.Iteration)
        public void setUp() {
            core = Groups.follower(NEVER_TIMES_OUT);
        }

        @TearDown(Level.Iteration)
        public void checkState() {
            Groups.check(core.role() instanceof Role.Follower && core.term() == Groups.TERM,
                    "the idle follower should not have campaigned: " + core);
        }
    }

    @Benchmark
    public Ready followerTick(IdleFollower state) {
        return state.core.step(state.tick);
    }
}
