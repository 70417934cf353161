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
            String doomedFamily = familyOf(store, "doomed");
            store.deleteTablet("doomed");
            byte[] prefix = TabletStore.prefix("doomed");
            assertThat(familyOf(store, "doomed")).isNull();
            assertThat(keysOutside(prefix, store.db().newIterator(store.meta())))
                    .isEqualTo(4); // kept: directory entry, family name, applied state; the layout mark
            assertThat(familiesOnDisk(dir)).as("dropped with a batch of deleted tablets' families, or later")
                    .contains(doomedFamily);
            assertThat(store.listTablets()).extracting(m -> m.getTabletId()).containsExactly("kept");
            assertThat(rows(kept.scanAll())).hasSize(1);
            assertThat(doomed.scanAll().getError().getCode()).as("the deleted tablet's object refuses reads")
                    .isEqualTo(Code.TABLET_NOT_FOUND);
            assertThatThrownBy(() -> store.openTablet("doomed", kept.clock, TabletOptions.DEFAULT))
                    .isInstanceOfSatisfying(TabletException.class, e -> assertThat(e.code()).isEqualTo(Code.TABLET_NOT_FOUND));
            // and it can be created again, empty
            Replica again = new Replica(store, metadata("doomed", SCHEMA));
            assertThat(rows(again.scanAll())).isEmpty();
            assertThat(again.tablet.lastApplied()).isEqualTo(OpId.ZERO);
            again.write(op(INSERT, 3, "c"));
            assertThat(familyOf(store, "doomed")).isNotEqualTo(doomedFamily);
        }
        try (TabletStore store = TabletStore.open(dir)) {
            assertThat(familiesOnDisk(dir)).as("open drops the spares and the deleted tablet's family")
                    .containsExactlyInAnyOrder("default", "meta", familyOf(store, "kept"), familyOf(store, "doomed"));
            assertThat(rows(new Replica(open(store, "doomed")).scanAll())).containsExactly(Arrays.asList(3L, "c", null));
            assertThat(rows(new Replica(open(store, "kept")).scanAll())).containsExactly(Arrays.asList(1L, "a", null));
        }
    }

    /** RocksDB rewrites its OPTIONS file per create or drop call, so families come and go in batches. */
    @Test
    void familiesAreCreatedAheadAndDeletedTabletsFamiliesDroppedInBatches() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            Replica first = new Replica(store, metadata("t0", SCHEMA));
            assertThat(store.rowFamilyNames()).as("one family taken, the rest of the batch spare")
                    .hasSize(TabletStore.FAMILY_BATCH);
            first.write(op(INSERT, 1, "a"));
            List<String> deleted = new java.util.ArrayList<>();
            for (int i = 1; i <= TabletStore.FAMILY_BATCH; i++) {
                new Replica(store, metadata("t" + i, SCHEMA)).write(op(INSERT, i, "a"));
                deleted.add(familyOf(store, "t" + i));
            }
            assertThat(store.rowFamilyNames()).hasSize(2 * TabletStore.FAMILY_BATCH);
            for (int i = 1; i < TabletStore.FAMILY_BATCH; i++) {
                store.deleteTablet("t" + i);
            }
            assertThat(familiesOnDisk(dir)).as("a batch not yet full").containsAll(deleted);
            store.deleteTablet("t" + TabletStore.FAMILY_BATCH);
            assertThat(familiesOnDisk(dir)).as("the full batch dropped in one call").doesNotContainAnyElementsOf(deleted);
            assertThat(store.rowFamilyNames()).doesNotContainAnyElementsOf(deleted).contains(familyOf(store, "t0"));
            assertThat(rows(first.scanAll())).containsExactly(Arrays.asList(1L, "a", null));
        }
    }

    /**
     * Three tablets of one server taking ascending keys together (the client benchmark's pattern): each
     * flush must write files of one tablet each, which RocksDB then moves down, never rewrites. In one
     * shared row family a flush wrote one file spanning all three, and every L0 compaction rewrote them all.
     */
    @Test
    void tabletsIngestingAscendingKeysTogetherFlushFilesOfTheirOwnThatAreMovedNotRewritten() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            List<Replica> replicas = List.of(new Replica(store, metadata("a", SCHEMA)),
                    new Replica(store, metadata("b", SCHEMA)), new Replica(store, metadata("c", SCHEMA)));
            java.util.Set<String> flushed = flushAscendingRowsEightTimes(store, replicas);

            assertThat(flushed).hasSizeGreaterThanOrEqualTo(3 * 8);
            List<org.rocksdb.LiveFileMetaData> live = rowFiles(store);
            assertThat(live).as("L0 compacted at least once").anyMatch(file -> file.level() > 0);
            assertThat(live).extracting(file -> file.fileName()).isSubsetOf(flushed);
            for (org.rocksdb.LiveFileMetaData file : live) {
                String tablet = List.of("a", "b", "c").stream()
                        .filter(id -> familyOf(store, id).equals(new String(file.columnFamilyName()))).findFirst().orElseThrow();
                byte[] prefix = TabletStore.prefix(tablet);
                assertThat(Arrays.equals(file.smallestKey(), 1, 1 + prefix.length, prefix, 0, prefix.length)
                        && Arrays.equals(file.largestKey(), 1, 1 + prefix.length, prefix, 0, prefix.length))
                        .as("%s holds rows of tablet %s alone", file.fileName(), tablet).isTrue();
            }
            for (Replica replica : replicas) {
                assertThat(replica.tablet.checksum(ChecksumRequestPB.getDefaultInstance()).getRows()).isEqualTo(800);
            }
        }
        try (TabletStore store = TabletStore.open(dir)) {
            assertThat(store.listTablets()).extracting(m -> m.getTabletId()).containsExactlyInAnyOrder("a", "b", "c");
            for (String id : List.of("a", "b", "c")) {
                assertThat(open(store, id).checksum(ChecksumRequestPB.getDefaultInstance()).getRows())
                        .as("tablet %s after reopen", id).isEqualTo(800);
            }
        }
    }

    /** A crash between deleting a tablet's directory entry and dropping its family (or mid create) leaves a family nobody owns. */
    @Test
    void aFamilyNoTabletOwnsIsDroppedOnOpen() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            new Replica(store, metadata("t", SCHEMA)).write(op(INSERT, 1, "a"));
        }
        String orphan = "r-999";
        withRawDb(dir, (db, families) -> {
            ColumnFamilyHandle family = db.createColumnFamily(new ColumnFamilyDescriptor(orphan.getBytes()));
            db.put(family, new byte[] {2, 1, 2, 3}, new byte[] {4});
            family.close();
        });
        assertThat(familiesOnDisk(dir)).contains(orphan);
        try (TabletStore store = TabletStore.open(dir)) {
            assertThat(store.rowFamilyNames()).containsExactly(familyOf(store, "t"));
            assertThat(rows(new Replica(open(store, "t")).scanAll())).containsExactly(Arrays.asList(1L, "a", null));
        }
        assertThat(familiesOnDisk(dir)).doesNotContain(orphan);
    }

    @Test
    void aTabletWhoseFamilyIsMissingFailsTheOpenNamingIt() throws Exception {
        try (TabletStore store = TabletStore.open(dir)) {
            new Replica(store, metadata("lost", SCHEMA)).write(op(INSERT, 1, "a"));
            new Replica(store, metadata("fine", SCHEMA)).write(op(INSERT, 1, "a"));
        }
        String[] lost = new String[1];
        withRawDb(dir, (db, families) -> {
            lost[0] = rawFamilyOf(db, families, "lost");
            db.dropColumnFamily(families.get(lost[0]));
        });
        assertThatThrownBy(() -> TabletStore.open(dir)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("tablet lost ").hasMessageContaining(lost[0] + " is missing");
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
            java.util.Set<String> flushed = flushAscendingRowsEightTimes(store, List.of(replica));
            assertThat(flushed).hasSizeGreaterThanOrEqualTo(8);
            assertThat(rowFiles(store)).as("L0 compacted at least once").anyMatch(file -> file.level() > 0);
            assertThat(rowFiles(store)).extracting(file -> file.fileName()).isSubsetOf(flushed);
        }
    }

    /** Waits, up to 30 s, until no family has a compaction pending or running. */
    private static void awaitNoCompactions(TabletStore store) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (store.db().getAggregatedLongProperty("rocksdb.compaction-pending") != 0
                || store.db().getAggregatedLongProperty("rocksdb.num-running-compactions") != 0) {
            assertThat(System.nanoTime()).as("compactions done within 30 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** The live SST files of every tablet's row family. */
    /**
     * Eight rounds of 100 ascending inserts into each tablet, each round flushed (RocksDB compacts L0 at 4 files
     * per family); returns the names of every L0 file the flushes made, after compactions have settled.
     */
    private static java.util.Set<String> flushAscendingRowsEightTimes(TabletStore store, List<Replica> replicas)
            throws Exception {
        java.util.Set<String> flushed = new java.util.HashSet<>();
        for (int flush = 0; flush < 8; flush++) {
            for (Replica replica : replicas) {
                RowOperationPB[] rows = new RowOperationPB[100];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = op(INSERT, flush * 100L + i, "v" + i);
                }
                replica.write(rows);
            }
            store.flush();
            rowFiles(store).stream().filter(file -> file.level() == 0).forEach(file -> flushed.add(file.fileName()));
        }
        awaitNoCompactions(store);
        return flushed;
    }

    private static List<org.rocksdb.LiveFileMetaData> rowFiles(TabletStore store) {
        return store.db().getLiveFilesMetaData().stream()
                .filter(file -> new String(file.columnFamilyName()).startsWith(TabletStore.ROW_FAMILY_PREFIX)).toList();
    }

    private static String familyOf(TabletStore store, String tabletId) {
        return store.rowFamilyName(TabletStore.prefix(tabletId));
    }

    /** The row family name a closed store records for the tablet. */
    private static String rawFamilyOf(RocksDB db, java.util.Map<String, ColumnFamilyHandle> families, String tabletId)
            throws Exception {
        return new String(db.get(families.get("meta"), TabletStore.rowFamilyKey(TabletStore.prefix(tabletId))));
    }

    private static Tablet open(TabletStore store, String tabletId) {
        return store.openTablet(tabletId, new basalt.common.time.HybridClock(new TabletHarness.ManualClock()),
                TabletOptions.DEFAULT);
    }

    private static List<String> familiesOnDisk(Path dir) throws Exception {
        try (org.rocksdb.Options options = new org.rocksdb.Options()) {
            return RocksDB.listColumnFamilies(options, dir.toString()).stream().map(String::new).toList();
        }
    }

    interface RawDbWork {
        void run(RocksDB db, java.util.Map<String, ColumnFamilyHandle> families) throws Exception;
    }

    /** Opens the closed store as a plain RocksDB with every family, by name, to rewrite it as an older or damaged one. */
    private static void withRawDb(Path dir, RawDbWork work) throws Exception {
        List<ColumnFamilyDescriptor> descriptors = familiesOnDisk(dir).stream()
                .map(name -> new ColumnFamilyDescriptor(name.getBytes())).toList();
        List<ColumnFamilyHandle> handles = new java.util.ArrayList<>();
        try (DBOptions options = new DBOptions();
             RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles)) {
            java.util.Map<String, ColumnFamilyHandle> byName = new java.util.HashMap<>();
            for (int i = 0; i < descriptors.size(); i++) {
                byName.put(new String(descriptors.get(i).getName()), handles.get(i));
            }
            try {
                work.run(db, byName); // writes go through the WAL: the next open recovers them
            } finally {
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
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
        rewriteIntoTheSharedRowFamily(dir, true);
        assertThat(familiesOnDisk(dir)).containsExactly("default");

        for (int open = 0; open < 2; open++) { // the second open finds the move done
            try (TabletStore store = TabletStore.open(dir)) {
                assertThat(store.listTablets()).extracting(m -> m.getTabletId()).containsExactly("t");
                Replica replica = new Replica(open(store, "t"));
                assertThat(replica.tablet.lastApplied()).isEqualTo(applied);
                assertThat(replica.tablet.durableIndex()).isEqualTo(applied.index());
                assertThat(rows(replica.scanAll())).containsExactly(Arrays.asList(1L, "a", null), Arrays.asList(2L, "b2", null));
                byte[] none = new byte[TabletStore.PREFIX_BYTES];
                assertThat(keysOutside(none, store.db().newIterator())).as("the default family is empty").isZero();
                assertThat(keysOutside(none, store.db().newIterator(store.meta()))).isEqualTo(4); // + family name, mark
            }
        }
        try (TabletStore store = TabletStore.open(dir)) {
            assertThat(familiesOnDisk(dir)).containsExactlyInAnyOrder("default", "meta", familyOf(store, "t"));
        }
    }

    /** The layout before tablet families: per-tablet keys in meta, every tablet's rows in the default family. */
    @Test
    void rowsInTheSharedFamilyMoveIntoTheirTabletsFamiliesInChunks() throws Exception {
        int big = TabletStore.MOVE_CHUNK_KEYS * 2 + 500; // three chunks
        try (TabletStore store = TabletStore.open(dir)) {
            insertAscending(new Replica(store, metadata("big", SCHEMA)), big);
            insertAscending(new Replica(store, metadata("small", SCHEMA)), 10);
        }
        rewriteIntoTheSharedRowFamily(dir, false);
        assertThat(familiesOnDisk(dir)).containsExactlyInAnyOrder("default", "meta");

        try (TabletStore store = TabletStore.open(dir)) {
            assertThat(store.rowFamilyNames()).containsExactlyInAnyOrder(familyOf(store, "big"), familyOf(store, "small"));
            assertThat(open(store, "big").checksum(ChecksumRequestPB.getDefaultInstance()).getRows()).isEqualTo(big);
            assertThat(open(store, "small").checksum(ChecksumRequestPB.getDefaultInstance()).getRows()).isEqualTo(10);
            assertThat(keysOutside(new byte[TabletStore.PREFIX_BYTES], store.db().newIterator())).isZero();
        }
    }

    /** A crash part way through the move: some of a tablet's rows in its family, the rest still in the default one. */
    @Test
    void aMoveCutShortByACrashResumesAtTheNextOpen() throws Exception {
        OpId applied;
        ChecksumResponsePB before;
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("t", SCHEMA));
            insertAscending(replica, 300);
            replica.write(op(UPDATE, 7, "seven"), op(basalt.proto.OperationType.DELETE, 8));
            applied = replica.tablet.lastApplied();
            before = replica.tablet.checksum(ChecksumRequestPB.newBuilder()
                    .setSnapshotTimestamp(replica.tablet.newestAppliedTimestamp()).build());
        }
        withRawDb(dir, (db, families) -> {
            assertThat(moveKeys(db, families.get(rawFamilyOf(db, families, "t")), families.get("default"), 150))
                    .isEqualTo(150);
        });

        try (TabletStore store = TabletStore.open(dir)) {
            Tablet tablet = open(store, "t");
            assertThat(tablet.lastApplied()).isEqualTo(applied);
            assertThat(tablet.checksum(ChecksumRequestPB.newBuilder().setSnapshotTimestamp(before.getSnapshotTimestamp())
                    .build())).isEqualTo(before);
            assertThat(keysOutside(new byte[TabletStore.PREFIX_BYTES], store.db().newIterator())).isZero();
            assertThat(new Replica(tablet).write(op(INSERT, 299, "exists")).getRowErrorsList())
                    .extracting(e -> e.getError().getCode()).containsExactly(Code.ALREADY_PRESENT);
        }
    }

    private static void insertAscending(Replica replica, int rows) {
        for (int from = 0; from < rows; from += 5_000) {
            RowOperationPB[] batch = new RowOperationPB[Math.min(5_000, rows - from)];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = op(INSERT, (long) from + i, "v");
            }
            assertThat(replica.write(batch).getRowErrorsList()).isEmpty();
        }
    }

    /**
     * Rewrites a closed store into an older layout: every tablet's rows in the default family, no tablet
     * families, no layout mark; with {@code metaToo} the meta keys too and no meta family (the first layout).
     */
    private static void rewriteIntoTheSharedRowFamily(Path dir, boolean metaToo) throws Exception {
        withRawDb(dir, (db, families) -> {
            ColumnFamilyHandle shared = families.get("default");
            ColumnFamilyHandle meta = families.get("meta");
            db.delete(meta, TabletStore.LAYOUT_KEY);
            db.deleteRange(meta, new byte[] {TabletStore.ROW_FAMILY}, new byte[] {TabletStore.ROW_FAMILY + 1});
            for (java.util.Map.Entry<String, ColumnFamilyHandle> family : families.entrySet()) {
                if (family.getKey().startsWith(TabletStore.ROW_FAMILY_PREFIX)
                        || (metaToo && family.getKey().equals("meta"))) {
                    moveKeys(db, family.getValue(), shared, Integer.MAX_VALUE);
                    db.dropColumnFamily(family.getValue());
                }
            }
        });
    }

    /** Moves the first {@code most} keys of one family to another in one batch; returns how many. */
    private static int moveKeys(RocksDB db, ColumnFamilyHandle from, ColumnFamilyHandle to, int most) throws Exception {
        try (WriteBatch batch = new WriteBatch(); RocksIterator keys = db.newIterator(from);
             WriteOptions write = new WriteOptions()) {
            int moved = 0;
            for (keys.seekToFirst(); keys.isValid() && moved < most; keys.next(), moved++) {
                batch.put(to, keys.key(), keys.value());
                batch.delete(from, keys.key());
            }
            db.write(write, batch);
            return moved;
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
    void aMemtableBudgetBelowOneTabletsMemtableIsRefusedNamingBoth() {
        assertThatThrownBy(() -> new TabletStore.StoreOptions(true, 1 << 20)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memtable budget of 1048576 bytes").hasMessageContaining("(67108864 bytes)");
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
