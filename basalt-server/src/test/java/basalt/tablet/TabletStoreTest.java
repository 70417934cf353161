package basalt.tablet;

import static basalt.proto.OperationType.INSERT;
import static basalt.proto.OperationType.UPDATE;
import static basalt.tablet.TabletHarness.SCHEMA;
import static basalt.tablet.TabletHarness.metadata;
import static basalt.tablet.TabletHarness.op;
import static basalt.tablet.TabletHarness.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.proto.ChecksumRequestPB;
import basalt.proto.ChecksumResponsePB;
import basalt.proto.Code;
import basalt.proto.RowOperationPB;
import basalt.tablet.TabletHarness.Replica;
import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/** Goal: what survives a crash or restart, tablet copies, and tablet deletion in the shared RocksDB. */
class TabletStoreTest {
    @TempDir
    Path dir;

    static final TabletStore.StoreOptions CRASHY = new TabletStore.StoreOptions(false);

    @Test
    void closeWithoutFlushLosesTheMemtableAndTheAppliedStateWithIt() throws Exception {
        try (TabletStore store = TabletStore.open(dir, CRASHY)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA)); // creation flushes the metadata
            replica.write(op(INSERT, 1, "a"));
            replica.apply(EntryType.NO_OP, ByteString.EMPTY);
            assertThat(replica.tablet.lastApplied()).isEqualTo(new OpId(1, 2));
            assertThat(replica.tablet.durableIndex()).isZero();
        }
        try (TabletStore store = TabletStore.open(dir, CRASHY)) {
            Replica replica = new Replica(store.openTablet("t", new basalt.common.time.HybridClock(
                    new TabletHarness.ManualClock()), TabletOptions.DEFAULT));
            assertThat(replica.tablet.lastApplied()).isEqualTo(OpId.ZERO);
            assertThat(rows(replica.scanAll())).isEmpty();
        }
    }

    @Test
    void flushedAppliesSurviveACrashAndDurableIndexIsTheAppliedIndexAtFlush() throws Exception {
        long timestamp;
        try (TabletStore store = TabletStore.open(dir, CRASHY)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            timestamp = replica.write(op(INSERT, 1, "a")).getTimestamp();
            replica.apply(EntryType.CONFIG, ByteString.EMPTY);
            store.flush();
            assertThat(replica.tablet.durableIndex()).isEqualTo(2);
            replica.write(op(UPDATE, 1, "lost in the crash"));
            assertThat(replica.tablet.durableIndex()).isEqualTo(2);
        }
        try (TabletStore store = TabletStore.open(dir, CRASHY)) {
            Replica replica = new Replica(store.openTablet("t", new basalt.common.time.HybridClock(
                    new TabletHarness.ManualClock()), TabletOptions.DEFAULT));
            assertThat(replica.tablet.lastApplied()).isEqualTo(new OpId(1, 2));
            assertThat(replica.tablet.durableIndex()).isEqualTo(2);
            assertThat(replica.tablet.newestAppliedTimestamp()).isEqualTo(timestamp);
            assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "a", null));
            // replay of the lost entry after restart, as the driver would do from durableIndex + 1
            assertThat(replica.tablet.prepareWrite(TabletHarness.request("t", op(UPDATE, 1, "b"))).timestamp())
                    .isGreaterThan(timestamp);
        }
    }

    @Test
    void gracefulCloseFlushes() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            new Replica(store, metadata("t", SCHEMA)).write(op(INSERT, 1, "a"));
        }
        try (TabletStore store = TabletStore.open(dir)) {
            Tablet tablet = store.openTablet("t", new basalt.common.time.HybridClock(new TabletHarness.ManualClock()),
                    TabletOptions.DEFAULT);
            assertThat(tablet.lastApplied().index()).isEqualTo(1);
            assertThat(store.listTablets()).extracting(m -> m.getTabletId()).containsExactly("t");
        }
    }

    /** Apply skips the existence seek for keys above the largest stored key; that bound must survive reopen and copy. */
    @Test
    void existingKeysAreFoundAfterReopenAndTabletCopyWhateverTheLargestKey() throws Exception {
        try (TabletStore store = TabletStore.open(dir.resolve("a"))) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            assertThat(replica.write(op(INSERT, 5, "a"), op(INSERT, 10, "b"), op(INSERT, 10, "dup")).getRowErrorsList())
                    .extracting(e -> e.getError().getCode()).containsExactly(Code.ALREADY_PRESENT);
            replica.write(op(basalt.proto.OperationType.DELETE, 10));
            store.flush();
        }
        try (TabletStore store = TabletStore.open(dir.resolve("a"));
             TabletStore copyTarget = TabletStore.open(dir.resolve("b"))) {
            Replica replica = new Replica(store.openTablet("t", new basalt.common.time.HybridClock(
                    new TabletHarness.ManualClock()), TabletOptions.DEFAULT));
            assertThat(replica.write(op(INSERT, 5, "again")).getRowErrorsList())
                    .extracting(e -> e.getError().getCode()).containsExactly(Code.ALREADY_PRESENT);
            assertThat(replica.write(op(INSERT, 10, "after its delete"), op(INSERT, 7, "below"), op(INSERT, 11, "above"))
                    .getRowErrorsList()).isEmpty();
            assertThat(replica.write(op(INSERT, 11, "twice")).getRowErrorsList())
                    .extracting(e -> e.getError().getCode()).containsExactly(Code.ALREADY_PRESENT);

            Replica follower = new Replica(copyTarget, metadata("t", SCHEMA));
            follower.tablet.install(replica.tablet.snapshot(), replica.tablet.lastApplied());
            follower.term = replica.tablet.lastApplied().term();
            assertThat(follower.write(op(INSERT, 11, "copied already")).getRowErrorsList())
                    .extracting(e -> e.getError().getCode()).containsExactly(Code.ALREADY_PRESENT);
            assertThat(follower.write(op(UPDATE, 7, "seen")).getRowErrorsList()).isEmpty();
        }
    }

    @Test
    void tabletCopyRoundTripsBetweenStores() throws Exception {
        try (TabletStore source = TabletStore.open(dir.resolve("a"), CRASHY);
             TabletStore target = TabletStore.open(dir.resolve("b"), CRASHY)) {
            Replica leader = new Replica(source, metadata("t", SCHEMA));
            leader.write(op(INSERT, 1, "a"), op(INSERT, 2, "b"));
            long before = leader.write(op(UPDATE, 1, "a2")).getTimestamp() - 1;
            leader.write(op(basalt.proto.OperationType.DELETE, 2));
            Replica follower = new Replica(target, metadata("t", SCHEMA));
            follower.write(op(INSERT, 99, "replaced by the copy"));

            follower.tablet.install(leader.tablet.snapshot(), leader.tablet.lastApplied());

            assertThat(follower.tablet.lastApplied()).isEqualTo(leader.tablet.lastApplied());
            assertThat(follower.tablet.durableIndex()).isEqualTo(leader.tablet.lastApplied().index());
            assertThat(follower.tablet.snapshot()).isEqualTo(leader.tablet.snapshot());
            ChecksumRequestPB now = ChecksumRequestPB.newBuilder().setSnapshotTimestamp(leader.tablet.newestAppliedTimestamp()).build();
            ChecksumRequestPB older = ChecksumRequestPB.newBuilder().setSnapshotTimestamp(before).build();
            assertThat(follower.tablet.checksum(now)).isEqualTo(leader.tablet.checksum(now));
            assertThat(follower.tablet.checksum(older)).isEqualTo(leader.tablet.checksum(older));
            assertThat(follower.tablet.checksum(older).getRows()).isEqualTo(2);
        }
        // the copy is durable: the follower's store comes back with it after a crash
        try (TabletStore target = TabletStore.open(dir.resolve("b"), CRASHY)) {
            Replica follower = new Replica(target.openTablet("t", new basalt.common.time.HybridClock(
                    new TabletHarness.ManualClock()), TabletOptions.DEFAULT));
            assertThat(rows(follower.scanAll())).containsExactly(Arrays.asList(1L, "a2", null));
        }
    }

    @Test
    void checksumsAgreeForTheSameEntriesAndDifferAfterOneDifferentWrite() throws Exception {
        try (TabletStore one = TabletStore.open(dir.resolve("1")); TabletStore two = TabletStore.open(dir.resolve("2"))) {
            Replica a = new Replica(one, metadata("t", SCHEMA));
            Replica b = new Replica(two, metadata("t", SCHEMA));
            for (int i = 0; i < 20; i++) {
                ByteString payload = a.tablet.prepareWrite(TabletHarness.request("t", op(INSERT, i, "row" + i, i * 0.5))).payload();
                a.apply(EntryType.NORMAL, payload);
                b.apply(EntryType.NORMAL, payload); // a follower applies the leader's payload
            }
            ChecksumRequestPB request = ChecksumRequestPB.newBuilder().setSnapshotTimestamp(a.tablet.newestAppliedTimestamp()).build();
            ChecksumResponsePB first = a.tablet.checksum(request);
            assertThat(first.getRows()).isEqualTo(20);
            assertThat(b.tablet.checksum(request)).isEqualTo(first);

            ByteString differentA = a.tablet.prepareWrite(TabletHarness.request("t", op(UPDATE, 3, "x"))).payload();
            ByteString differentB = b.tablet.prepareWrite(TabletHarness.request("t", op(UPDATE, 3, "y"))).payload();
            a.apply(EntryType.NORMAL, differentA);
            b.apply(EntryType.NORMAL, differentB);
            long later = Math.max(a.tablet.newestAppliedTimestamp(), b.tablet.newestAppliedTimestamp());
            ChecksumRequestPB after = ChecksumRequestPB.newBuilder().setSnapshotTimestamp(later).build();
            assertThat(a.tablet.checksum(after).getChecksum()).isNotEqualTo(b.tablet.checksum(after).getChecksum());
            assertThat(a.tablet.checksum(request)).isEqualTo(first); // the past is unchanged
        }
    }

    @Test
    void deletingATabletRemovesEveryKeyAndLeavesOthersAlone() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            Replica doomed = new Replica(store, metadata("doomed", SCHEMA));
            Replica kept = new Replica(store, metadata("kept", SCHEMA));
            doomed.write(op(INSERT, 1, "a"), op(INSERT, 2, "b"));
            kept.write(op(INSERT, 1, "a"));
            store.deleteTablet("doomed");
            byte[] prefix = TabletStore.prefix("doomed");
            assertThat(keysOutside(prefix, store.db().newIterator())).isEqualTo(1); // kept: one row version
            assertThat(keysOutside(prefix, store.db().newIterator(store.meta())))
                    .isEqualTo(2); // kept: directory entry, applied state
            assertThat(store.listTablets()).extracting(m -> m.getTabletId()).containsExactly("kept");
            assertThat(rows(kept.scanAll())).hasSize(1);
            assertThatThrownBy(() -> store.openTablet("doomed", kept.clock, TabletOptions.DEFAULT))
                    .isInstanceOfSatisfying(TabletException.class, e -> assertThat(e.code()).isEqualTo(Code.TABLET_NOT_FOUND));
            // and it can be created again, empty
            Replica again = new Replica(store, metadata("doomed", SCHEMA));
            assertThat(rows(again.scanAll())).isEmpty();
            assertThat(again.tablet.lastApplied()).isEqualTo(OpId.ZERO);
        }
    }

    /**
     * Ascending inserts flushed one after another must reach the lower levels as the files the flushes made,
     * moved and not rewritten: a per-tablet key among the rows (as the applied state once was) would make
     * every flushed file span the tablet and every L0 compaction rewrite it all.
     */
    @Test
    void flushedFilesOfAscendingRowsAreMovedDownNotRewritten() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            java.util.Set<String> flushed = new java.util.HashSet<>();
            for (int flush = 0; flush < 8; flush++) { // RocksDB compacts L0 at 4 files
                RowOperationPB[] rows = new RowOperationPB[100];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = op(INSERT, flush * 100L + i, "v" + i);
                }
                replica.write(rows);
                store.flush();
                rowFiles(store).stream().filter(file -> file.level() == 0).forEach(file -> flushed.add(file.fileName()));
            }
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!"0".equals(store.db().getProperty("rocksdb.compaction-pending"))
                    || !"0".equals(store.db().getProperty("rocksdb.num-running-compactions"))) {
                assertThat(System.nanoTime()).as("compactions done within 30 s").isLessThan(deadline);
                Thread.sleep(10);
            }
            assertThat(flushed).hasSizeGreaterThanOrEqualTo(8);
            assertThat(rowFiles(store)).as("L0 compacted at least once").anyMatch(file -> file.level() > 0);
            assertThat(rowFiles(store)).extracting(file -> file.fileName()).isSubsetOf(flushed);
        }
    }

    private static List<org.rocksdb.LiveFileMetaData> rowFiles(TabletStore store) {
        return store.db().getLiveFilesMetaData().stream()
                .filter(file -> Arrays.equals(file.columnFamilyName(), RocksDB.DEFAULT_COLUMN_FAMILY)).toList();
    }

    /** A store from before the meta family: every key in the default family, as the single-family layout had them. */
    @Test
    void aStoreInTheSingleFamilyLayoutOpensWithItsTabletsAsTheyWere() throws Exception {
        OpId applied;
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            replica.write(op(INSERT, 1, "a"), op(INSERT, 2, "b"));
            replica.write(op(UPDATE, 2, "b2"));
            applied = replica.tablet.lastApplied();
        }
        moveMetaFamilyIntoTheDefaultOne(dir);

        for (int open = 0; open < 2; open++) { // the second open finds the move done
            try (TabletStore store = TabletStore.open(dir)) {
                assertThat(store.listTablets()).extracting(m -> m.getTabletId()).containsExactly("t");
                Replica replica = new Replica(store.openTablet("t", new basalt.common.time.HybridClock(
                        new TabletHarness.ManualClock()), TabletOptions.DEFAULT));
                assertThat(replica.tablet.lastApplied()).isEqualTo(applied);
                assertThat(replica.tablet.durableIndex()).isEqualTo(applied.index());
                assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "a", null), Arrays.asList(2L, "b2", null));
                byte[] none = new byte[TabletStore.PREFIX_BYTES];
                assertThat(keysOutside(none, store.db().newIterator())).isEqualTo(3); // the row versions alone
                assertThat(keysOutside(none, store.db().newIterator(store.meta()))).isEqualTo(2);
            }
        }
    }

    /** Rewrites a closed store into the layout of before the meta family: its keys in the default family, no meta family. */
    private static void moveMetaFamilyIntoTheDefaultOne(Path dir) throws Exception {
        List<ColumnFamilyHandle> handles = new java.util.ArrayList<>();
        try (DBOptions options = new DBOptions();
             RocksDB db = RocksDB.open(options, dir.toString(), List.of(
                     new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
                     new ColumnFamilyDescriptor(TabletStore.META_FAMILY)), handles);
             WriteBatch batch = new WriteBatch();
             RocksIterator meta = db.newIterator(handles.get(1));
             FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            for (meta.seekToFirst(); meta.isValid(); meta.next()) {
                batch.put(handles.get(0), meta.key(), meta.value());
            }
            try (WriteOptions write = new WriteOptions()) {
                db.write(write, batch);
            }
            db.flush(flush, handles.get(0));
            db.dropColumnFamily(handles.get(1));
            handles.forEach(ColumnFamilyHandle::close);
        }
    }

    /** Counts the iterator's keys, all of which must lie outside the tablet prefix {@code prefix}; closes it. */
    private static int keysOutside(byte[] prefix, RocksIterator iterator) {
        try (iterator) {
            int keys = 0;
            for (iterator.seekToFirst(); iterator.isValid(); iterator.next()) {
                byte[] key = iterator.key();
                assertThat(Arrays.equals(key, 1, 1 + prefix.length, prefix, 0, prefix.length)).isFalse();
                keys++;
            }
            return keys;
        }
    }

    @Test
    void creatingAnExistingTabletIsAlreadyPresent() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            assertThatThrownBy(() -> store.createTablet(metadata("t", SCHEMA), replica.clock, TabletOptions.DEFAULT))
                    .isInstanceOfSatisfying(TabletException.class, e -> assertThat(e.code()).isEqualTo(Code.ALREADY_PRESENT));
            assertThat(List.of(replica.tablet.lastApplied())).containsExactly(OpId.ZERO);
        }
    }
}
