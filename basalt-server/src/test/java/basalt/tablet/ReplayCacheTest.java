package basalt.tablet;

import static basalt.proto.OperationType.INSERT;
import static basalt.tablet.TabletHarness.SCHEMA;
import static basalt.tablet.TabletHarness.metadata;
import static basalt.tablet.TabletHarness.op;
import static basalt.tablet.TabletHarness.rows;
import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.time.HybridClock;
import basalt.proto.RequestIdPB;
import basalt.proto.RowOperationPB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import basalt.tablet.TabletHarness.Replica;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a write request applied once keeps its first outcome, on every replica, across a restart and a
 * tablet copy, so a retry (a second entry with the same request id, as a new leader would replicate it)
 * changes nothing and is answered as the first attempt was: never ALREADY_PRESENT for its own insert.
 */
class ReplayCacheTest {
    @TempDir
    Path dir;

    static final TabletStore.StoreOptions CRASHY = new TabletStore.StoreOptions(false);

    static WriteRequestPB request(long sequence, long firstIncomplete, RowOperationPB... operations) {
        return TabletHarness.request("t", operations).toBuilder().setRequestId(RequestIdPB.newBuilder()
                .setClientId("client-a").setSequence(sequence).setFirstIncompleteSequence(firstIncomplete)).build();
    }

    static Replica reopen(TabletStore store) {
        return new Replica(store.openTablet("t", new HybridClock(new TabletHarness.ManualClock()), TabletOptions.DEFAULT));
    }

    @Test
    void aRetriedInsertGetsItsFirstOutcomeAndIsNotAppliedTwice() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            WriteResponsePB first = replica.write(request(1, 1, op(INSERT, 1, "a")));
            assertThat(first.getRowErrorsList()).isEmpty();

            WriteResponsePB retry = replica.write(request(1, 1, op(INSERT, 1, "a")));

            assertThat(retry).isEqualTo(first); // same timestamp, no ALREADY_PRESENT
            assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "a", null));
            assertThat(replica.tablet.replayCache().appliedOutcome(request(1, 1).getRequestId())).contains(first);
        }
    }

    /** The outcome is written with the rows: a restart brings both back, or neither. */
    @Test
    void outcomesSurviveARestartWithTheirRows() throws Exception {
        WriteResponsePB first;
        try (TabletStore store = TabletStore.open(dir, CRASHY)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            first = replica.write(request(1, 1, op(INSERT, 1, "a"), op(INSERT, 1, "dup")));
            assertThat(first.getRowErrorsCount()).isEqualTo(1);
            store.flush();
            replica.write(request(2, 1, op(INSERT, 2, "lost in the crash")));
        }
        try (TabletStore store = TabletStore.open(dir, CRASHY)) {
            Replica replica = reopen(store);
            assertThat(replica.tablet.replayCache().appliedOutcome(request(1, 1).getRequestId())).contains(first);
            assertThat(replica.tablet.replayCache().appliedOutcome(request(2, 1).getRequestId())).isEmpty();
            assertThat(replica.write(request(1, 1, op(INSERT, 1, "a"), op(INSERT, 1, "dup")))).isEqualTo(first);
            assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "a", null));
        }
    }

    /** Once the client says it moved past a sequence, its outcome is dropped, in memory and on disk. */
    @Test
    void outcomesBelowTheFirstIncompleteSequenceAreDropped() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            replica.write(request(1, 1, op(INSERT, 1, "a")));
            replica.write(request(2, 1, op(INSERT, 2, "b")));
            replica.write(request(3, 2, op(INSERT, 3, "c")));
            assertThat(replica.tablet.replayCache().appliedCount()).isEqualTo(2);
            replica.write(request(4, 4, op(INSERT, 4, "d")));
            assertThat(replica.tablet.replayCache().appliedCount()).isEqualTo(1);
            assertThat(replica.tablet.replayCache().appliedOutcome(request(4, 4).getRequestId())).isPresent();
            store.flush();
        }
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = reopen(store);
            assertThat(replica.tablet.replayCache().appliedCount()).isEqualTo(1);
            assertThat(rows(replica.scanAll())).hasSize(4);
        }
    }

    /** A replica that joins by tablet copy answers retries as the replica it copied from would. */
    @Test
    void aTabletCopyCarriesTheOutcomes() throws Exception {
        try (TabletStore source = TabletStore.open(dir.resolve("a"));
             TabletStore target = TabletStore.open(dir.resolve("b"))) {
            Replica leader = new Replica(source, metadata("t", SCHEMA));
            WriteResponsePB first = leader.write(request(7, 7, op(INSERT, 1, "a")));
            Replica follower = new Replica(target, metadata("t", SCHEMA));

            follower.tablet.install(leader.tablet.snapshot(), leader.tablet.lastApplied());

            assertThat(follower.tablet.snapshot()).isEqualTo(leader.tablet.snapshot());
            assertThat(follower.tablet.replayCache().appliedOutcome(request(7, 7).getRequestId())).contains(first);
            assertThat(follower.write(request(7, 7, op(INSERT, 1, "a")))).isEqualTo(first);
            assertThat(rows(follower.scanAll())).containsExactly(Arrays.asList(1L, "a", null));
        }
    }

    /**
     * A client that stops writing is forgotten once the TTL has passed by the tablet's own clock (the next
     * write's timestamp): its outcomes leave memory and the store together, so a restart does not bring them
     * back. A client that keeps writing is kept.
     */
    @Test
    void theOutcomesOfAClientIdleForTheTtlAreForgotten() throws Exception {
        TabletOptions oneMinute = TabletOptions.DEFAULT.withReplayClientTtlMs(60_000);
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA), oneMinute);
            replica.write(requestOf("gone", 1, 1, op(INSERT, 1, "a")));
            replica.write(requestOf("gone", 2, 1, op(INSERT, 2, "b")));
            replica.write(requestOf("busy", 1, 1, op(INSERT, 3, "c")));
            replica.wall.micros += 59_000_000;
            replica.write(requestOf("busy", 2, 2, op(INSERT, 4, "d")));
            assertThat(replica.tablet.replayCache().clientCount()).isEqualTo(2);

            replica.wall.micros += 2_000_000; // "gone" last wrote 61 s ago, "busy" 2 s ago
            replica.write(requestOf("busy", 3, 3, op(INSERT, 5, "e")));

            assertThat(replica.tablet.replayCache().clientCount()).isEqualTo(1);
            assertThat(replica.tablet.replayCache().appliedOutcome(requestOf("gone", 2, 1).getRequestId())).isEmpty();
            assertThat(replica.tablet.replayCache().appliedOutcome(requestOf("busy", 3, 3).getRequestId())).isPresent();
            store.flush();
        }
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store.openTablet("t", new HybridClock(new TabletHarness.ManualClock()), oneMinute));
            assertThat(replica.tablet.replayCache().clientCount()).isEqualTo(1);
            assertThat(replica.tablet.replayCache().appliedOutcome(requestOf("busy", 3, 3).getRequestId())).isPresent();
            assertThat(rows(replica.scanAll())).hasSize(5);
        }
    }

    /** With a TTL of 0 nothing is forgotten by age. */
    @Test
    void aTtlOfZeroKeepsIdleClients() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA), TabletOptions.DEFAULT.withReplayClientTtlMs(0));
            replica.write(requestOf("old", 1, 1, op(INSERT, 1, "a")));
            replica.wall.micros += 365L * 24 * 3600 * 1_000_000;
            replica.write(requestOf("new", 1, 1, op(INSERT, 2, "b")));
            assertThat(replica.tablet.replayCache().clientCount()).isEqualTo(2);
        }
    }

    static WriteRequestPB requestOf(String client, long sequence, long firstIncomplete, RowOperationPB... operations) {
        return TabletHarness.request("t", operations).toBuilder().setRequestId(RequestIdPB.newBuilder()
                .setClientId(client).setSequence(sequence).setFirstIncompleteSequence(firstIncomplete)).build();
    }

    /** Writes without a request id (tools, old clients) are applied as before and leave nothing behind. */
    @Test
    void writesWithoutARequestIdAreNotTracked() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            replica.write(op(INSERT, 1, "a"));
            assertThat(replica.write(op(INSERT, 1, "a")).getRowErrorsCount()).isEqualTo(1);
            assertThat(replica.tablet.replayCache().appliedCount()).isZero();
        }
    }
}
