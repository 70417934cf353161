package basalt.consensus.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalTest {
    /** Small segments so a few hundred entries span many of them. */
    private static final WalOptions TINY = new WalOptions(1024, 128);

    @TempDir
    Path dir;

    static Entry entry(long term, long index) {
        return new Entry(new OpId(term, index), EntryType.NORMAL,
                ByteString.copyFrom("payload-" + term + "-" + index, StandardCharsets.UTF_8));
    }

    static List<Entry> entries(long term, long fromIndex, long toIndexInclusive) {
        List<Entry> out = new ArrayList<>();
        for (long index = fromIndex; index <= toIndexInclusive; index++) {
            out.add(entry(term, index));
        }
        return out;
    }

    /** Appends one entry per call so segments roll between appends. */
    static void appendEach(Wal wal, List<Entry> entries) throws IOException {
        for (Entry entry : entries) {
            wal.append(List.of(entry));
        }
    }

    /** Goal: what is appended and synced reads back equal, before and after a reopen. */
    @Test
    void roundTripAndReopen() throws IOException {
        List<Entry> written = new ArrayList<>(entries(1, 1, 3));
        written.add(new Entry(new OpId(2, 4), EntryType.NO_OP, ByteString.EMPTY));
        written.add(new Entry(new OpId(2, 5), EntryType.CONFIG, ByteString.copyFromUtf8("voters=a;learners=")));
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            assertThat(wal.lastOpId()).isEqualTo(OpId.ZERO);
            assertThat(wal.firstIndex()).isEqualTo(1);
            wal.appendAndSyncBlocking(written);
            assertThat(wal.durableIndex()).isEqualTo(5);
            assertThat(wal.read(1, 5, Long.MAX_VALUE)).isEqualTo(written);
        }
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            assertThat(wal.lastOpId()).isEqualTo(new OpId(2, 5));
            assertThat(wal.durableIndex()).isEqualTo(5);
            assertThat(wal.read(1, 5, Long.MAX_VALUE)).isEqualTo(written);
            assertThat(wal.term(0)).isZero();
            assertThat(wal.term(4)).isEqualTo(2);
            assertThat(wal.term(6)).isEqualTo(-1);
            // Appends after a reopen go after the recovered records, never over them.
            wal.append(entries(2, 6, 6));
            wal.append(entries(2, 7, 7));
            wal.syncBlocking();
            written.addAll(entries(2, 6, 7));
        }
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            assertThat(wal.read(1, 7, Long.MAX_VALUE)).isEqualTo(written);
        }
    }

    /** Goal: tiny segments roll; reads by index cross segment boundaries; a byte budget still returns one. */
    @Test
    void rollsAndReadsAcrossSegments() throws IOException {
        List<Entry> written = entries(1, 1, 300);
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, written);
            wal.syncBlocking();
            assertThat(wal.segmentCount()).isGreaterThan(10);
            assertThat(wal.read(1, 300, Long.MAX_VALUE)).isEqualTo(written);
            for (long index = 1; index <= 300; index += 37) {
                assertThat(wal.read(index)).isEqualTo(written.get((int) index - 1));
            }
            assertThat(wal.read(50, 250, Long.MAX_VALUE)).isEqualTo(written.subList(49, 250));
            assertThat(wal.read(50, 250, 0)).containsExactly(written.get(49));
            long twoEntries = written.get(99).sizeBytes() + written.get(100).sizeBytes();
            assertThat(wal.read(100, 300, twoEntries)).containsExactly(written.get(99), written.get(100));
        }
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.read(1, 300, Long.MAX_VALUE)).isEqualTo(written);
        }
    }

    /** Goal: a log conflict truncates across a segment boundary, durably, and the new suffix follows (5.3). */
    @Test
    void truncateSuffixAcrossSegments() throws IOException {
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 200));
            int segmentsBefore = wal.segmentCount();
            wal.truncateSuffix(60);
            assertThat(wal.lastOpId()).isEqualTo(new OpId(1, 59));
            assertThat(wal.durableIndex()).isEqualTo(59);
            assertThat(wal.segmentCount()).isLessThan(segmentsBefore);
            // A conflicting append at 40 truncates from 40 by itself.
            wal.appendAndSyncBlocking(entries(2, 40, 45));
            assertThat(wal.lastOpId()).isEqualTo(new OpId(2, 45));
            assertThat(wal.term(39)).isEqualTo(1);
        }
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.lastOpId()).isEqualTo(new OpId(2, 45));
            List<Entry> expected = new ArrayList<>(entries(1, 1, 39));
            expected.addAll(entries(2, 40, 45));
            assertThat(wal.read(1, 45, Long.MAX_VALUE)).isEqualTo(expected);
        }
    }

    /** Goal: truncating to the very first index leaves an empty log that accepts the same index again. */
    @Test
    void truncateEverything() throws IOException {
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 100));
            wal.truncateSuffix(1);
            assertThat(wal.lastOpId()).isEqualTo(OpId.ZERO);
            assertThat(wal.segmentCount()).isEqualTo(1);
            wal.appendAndSyncBlocking(entries(3, 1, 2));
        }
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.read(1, 2, Long.MAX_VALUE)).isEqualTo(entries(3, 1, 2));
        }
    }

    /** Goal: GC deletes only whole segments below the lowest anchor, never the active one, and keeps term(first-1). */
    @Test
    void gcBelowAnchorKeepsWhatIsNeeded() throws IOException {
        Anchors anchors = new Anchors();
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 100));
            appendEach(wal, entries(2, 101, 300));
            assertThat(anchors.deleteUnanchoredSegments(wal)).as("no anchor, no GC").isZero();
            anchors.set("state-machine", 250);
            anchors.set("peer-copy", 150);
            assertThat(anchors.list()).containsKeys("peer-copy", "state-machine");
            assertThat(anchors.deleteUnanchoredSegments(wal)).isPositive();
            assertThat(wal.firstIndex()).isLessThanOrEqualTo(150).isGreaterThan(1);
            assertThat(wal.read(150)).isEqualTo(entry(2, 150));
            long first = wal.firstIndex();
            assertThat(wal.term(first - 1)).isEqualTo(first - 1 <= 100 ? 1 : 2);
            assertThat(wal.snapshotOpId().index()).isEqualTo(first - 1);
            anchors.remove("peer-copy");
            anchors.set("state-machine", 10_000);
            anchors.deleteUnanchoredSegments(wal);
            assertThat(wal.segmentCount()).as("the active segment stays").isEqualTo(1);
            assertThat(wal.read(300)).isEqualTo(entry(2, 300));
            wal.appendAndSyncBlocking(entries(2, 301, 301));
        }
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.lastOpId()).isEqualTo(new OpId(2, 301));
            assertThat(wal.term(wal.firstIndex() - 1)).isEqualTo(2);
        }
    }

    /** Goal: after a tablet copy the log restarts after the snapshot OpId, durably. */
    @Test
    void resetToRestartsAfterSnapshot() throws IOException {
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 100));
            wal.resetTo(new OpId(7, 500));
            assertThat(wal.snapshotOpId()).isEqualTo(new OpId(7, 500));
            assertThat(wal.lastOpId()).isEqualTo(new OpId(7, 500));
            assertThat(wal.firstIndex()).isEqualTo(501);
            wal.appendAndSyncBlocking(entries(8, 501, 502));
        }
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.snapshotOpId()).isEqualTo(new OpId(7, 500));
            assertThat(wal.term(500)).isEqualTo(7);
            assertThat(wal.read(501, 502, Long.MAX_VALUE)).isEqualTo(entries(8, 501, 502));
        }
    }

    /** Goal: a crash in resetTo after the new segment was made durable leaves old segments that recovery drops. */
    @Test
    void recoveryDropsSegmentsLeftByAnInterruptedReset() throws IOException {
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 100));
        }
        List<Path> old = listSegments();
        // Simulate the crash: the new log-start segment exists, the old ones were not deleted yet.
        Segment fresh = Segment.create(dir, new SegmentHeader(old.size() + 1, 41, 1, true), 128);
        fresh.channel.close();
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.snapshotOpId()).isEqualTo(new OpId(1, 40));
            assertThat(wal.segmentCount()).isEqualTo(1);
        }
        assertThat(listSegments()).hasSize(1);
    }

    /** Goal: a torn tail (partial frame or garbage at the end of the last segment) is cut on open. */
    @Test
    void recoveryCutsATornTail() throws IOException {
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 50));
        }
        Path last = lastSegment();
        long sizeBefore = Files.size(last);
        // Half of a real frame, as a torn write leaves it.
        ByteBuffer frame = RecordFramer.frame(List.of(entry(1, 51)));
        appendBytes(last, frame.array(), frame.limit() / 2);
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.lastOpId()).isEqualTo(new OpId(1, 50));
            wal.appendAndSyncBlocking(entries(1, 51, 51));
        }
        // Garbage bytes, and a whole frame with a broken CRC: both at the very end.
        appendBytes(last = lastSegment(), "garbage-garbage-garbage".getBytes(StandardCharsets.UTF_8), 23);
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.lastOpId()).isEqualTo(new OpId(1, 51));
        }
        ByteBuffer broken = RecordFramer.frame(List.of(entry(1, 52)));
        broken.put(broken.limit() - 1, (byte) (broken.get(broken.limit() - 1) ^ 0x40));
        appendBytes(lastSegment(), broken.array(), broken.limit());
        try (Wal wal = Wal.open(dir, TINY)) {
            assertThat(wal.lastOpId()).isEqualTo(new OpId(1, 51));
            assertThat(wal.read(1, 51, Long.MAX_VALUE)).isEqualTo(entries(1, 1, 51));
        }
        assertThat(sizeBefore).isPositive();
    }

    /** Goal: a flipped byte in an early record is corruption, refused with the file and offset named. */
    @Test
    void recoveryRefusesMidFileCorruption() throws IOException {
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            appendEach(wal, entries(1, 1, 20));
        }
        Path segment = lastSegment();
        long secondRecordOffset = SegmentHeader.SIZE_BYTES + RecordFramer.frameSizeBytes(entry(1, 1));
        flipByte(segment, secondRecordOffset + RecordFramer.FRAME_HEADER_BYTES + 20);
        assertThatThrownBy(() -> Wal.open(dir, WalOptions.defaults()))
                .isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining(segment.toString())
                .hasMessageContaining("offset " + secondRecordOffset);
    }

    /** Goal: a corrupted length field early in the file is corruption too (valid records follow it). */
    @Test
    void recoveryRefusesCorruptLength() throws IOException {
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            appendEach(wal, entries(1, 1, 20));
        }
        Path segment = lastSegment();
        flipByte(segment, SegmentHeader.SIZE_BYTES);
        assertThatThrownBy(() -> Wal.open(dir, WalOptions.defaults()))
                .isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining(segment.toString())
                .hasMessageContaining("offset " + SegmentHeader.SIZE_BYTES);
    }

    /** Goal: a bad record at the end of a segment that is not the last is corruption, not a torn tail. */
    @Test
    void recoveryRefusesABadTailInAnOlderSegment() throws IOException {
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 100));
        }
        Path first = listSegments().get(0);
        long size = Files.size(first);
        flipByte(first, size - 1);
        assertThatThrownBy(() -> Wal.open(dir, TINY))
                .isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining(first.toString())
                .hasMessageContaining("not the last");
    }

    /** Goal: a missing middle segment is refused, naming the segment after the hole. */
    @Test
    void recoveryRefusesAMissingSegment() throws IOException {
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 100));
        }
        List<Path> segments = listSegments();
        Files.delete(segments.get(2));
        assertThatThrownBy(() -> Wal.open(dir, TINY))
                .isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining(segments.get(3).toString())
                .hasMessageContaining("missing segment");
    }

    /**
     * Goal: concurrent appenders share fsyncs (group commit). Method: 8 threads each append and wait for
     * durability 200 times; the WAL must issue far fewer fsyncs than appends, and lose nothing.
     */
    @Test
    void groupCommitSharesFsyncs() throws Exception {
        int threads = 8;
        int appendsPerThread = 200;
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            long fsyncsBefore = wal.fsyncCount();
            Object indexLock = new Object();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < appendsPerThread; i++) {
                        long index;
                        synchronized (indexLock) {
                            index = wal.lastIndex() + 1;
                            wal.append(List.of(entry(1, index)));
                        }
                        wal.syncBlocking();
                        assertThat(wal.durableIndex()).isGreaterThanOrEqualTo(index);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            long appends = (long) threads * appendsPerThread;
            long fsyncs = wal.fsyncCount() - fsyncsBefore;
            assertThat(wal.lastIndex()).isEqualTo(appends);
            assertThat(fsyncs).as("fsyncs for %s appends", appends).isLessThan(appends / 2);
        }
    }

    /** Goal: the asynchronous API completes futures once durable, sharing fsyncs too. */
    @Test
    void asyncAppendAndSync() throws Exception {
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (long index = 1; index <= 100; index++) {
                futures.add(wal.appendAndSync(List.of(entry(1, index))));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            assertThat(wal.durableIndex()).isEqualTo(100);
        }
    }

    /** Goal: the dump reader sees exactly what recovery sees, and reports a torn tail without changing it. */
    @Test
    void walReaderVisitsEveryRecord() throws IOException {
        try (Wal wal = Wal.open(dir, TINY)) {
            appendEach(wal, entries(1, 1, 120));
        }
        appendBytes(lastSegment(), new byte[] {0, 0, 0, 30, 1, 2}, 6);
        List<Long> indexes = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        long records = WalReader.scan(dir, new WalReader.Visitor() {
            @Override
            public void onRecord(Path file, long offsetBytes, Entry entry) {
                indexes.add(entry.index());
            }

            @Override
            public void onBadFrame(Path file, long offsetBytes, String reason) {
                bad.add(file.getFileName() + "@" + offsetBytes + ": " + reason);
            }
        });
        assertThat(records).isEqualTo(120);
        assertThat(indexes).isSorted().hasSize(120);
        assertThat(bad).hasSize(1);
    }

    private List<Path> listSegments() throws IOException {
        try (var listing = Files.list(dir)) {
            return listing.filter(path -> path.getFileName().toString().endsWith(".log")).sorted().toList();
        }
    }

    private Path lastSegment() throws IOException {
        List<Path> segments = listSegments();
        return segments.get(segments.size() - 1);
    }

    private static void appendBytes(Path file, byte[] bytes, int length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            channel.write(ByteBuffer.wrap(bytes, 0, length));
        }
    }

    private static void flipByte(Path file, long offsetBytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offsetBytes);
            one.put(0, (byte) (one.get(0) ^ 0x01));
            one.rewind();
            channel.write(one, offsetBytes);
        }
    }
}
