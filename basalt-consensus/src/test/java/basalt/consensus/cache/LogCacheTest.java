package basalt.consensus.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.consensus.wal.Wal;
import basalt.consensus.wal.WalOptions;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogCacheTest {
    private static final int PAYLOAD_BYTES = 100;
    private static final long ENTRY_BYTES = Entry.OVERHEAD_BYTES + PAYLOAD_BYTES;
    private static final long BUDGET_BYTES = 20 * ENTRY_BYTES;

    @TempDir
    Path dir;

    static Entry entry(long term, long index) {
        byte[] payload = new byte[PAYLOAD_BYTES];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (index * 31 + term + i);
        }
        return new Entry(new OpId(term, index), EntryType.NORMAL, ByteString.copyFrom(payload));
    }

    static List<Entry> entries(long term, long fromIndex, long toIndexInclusive) {
        List<Entry> out = new ArrayList<>();
        for (long index = fromIndex; index <= toIndexInclusive; index++) {
            out.add(entry(term, index));
        }
        return out;
    }

    /** What the driver does: write to the WAL, fsync, then report durability. */
    static void driverWrites(Wal wal, LogCache cache, List<Entry> entries) throws IOException {
        wal.appendAndSyncBlocking(entries);
        cache.markDurable(entries.get(entries.size() - 1).opId());
    }

    /**
     * Goal: memory stays under the bound while far more than it is appended, and evicted entries read
     * back from the WAL equal to what was appended. Method: 1000 entries through a 20-entry budget.
     */
    @Test
    void staysUnderBudgetAndReadsEvictedEntriesFromTheWal() throws IOException {
        try (Wal wal = Wal.open(dir, new WalOptions(16 * 1024, 1024))) {
            LogCache cache = new LogCache(wal, BUDGET_BYTES);
            List<Entry> all = new ArrayList<>();
            for (long index = 1; index <= 1000; index += 5) {
                List<Entry> batch = entries(1, index, index + 4);
                cache.append(batch);
                driverWrites(wal, cache, batch);
                all.addAll(batch);
                assertThat(cache.logCacheBytesUsed()).isLessThanOrEqualTo(BUDGET_BYTES);
            }
            assertThat(cache.cacheFirstIndex()).isGreaterThan(900);
            assertThat(cache.entries(1, 1000, Long.MAX_VALUE)).isEqualTo(all);
            assertThat(cache.entries(890, 1000, Long.MAX_VALUE)).isEqualTo(all.subList(889, 1000));
            assertThat(cache.entries(10, 1000, 3 * ENTRY_BYTES)).isEqualTo(all.subList(9, 12));
            assertThat(cache.entries(10, 1000, 0)).containsExactly(all.get(9));
            assertThat(cache.term(5)).isEqualTo(1);
            assertThat(cache.term(0)).isZero();
            assertThat(cache.term(1001)).isEqualTo(-1);
            assertThat(cache.lastOpId()).isEqualTo(new OpId(1, 1000));
            assertThat(cache.logCacheBytesUsed()).isLessThanOrEqualTo(BUDGET_BYTES);
        }
    }

    /** Goal: entries not yet durable exist only here, so they are kept even far over budget. */
    @Test
    void undurableEntriesAreNeverEvicted() throws IOException {
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            LogCache cache = new LogCache(wal, BUDGET_BYTES);
            cache.append(entries(1, 1, 100));
            assertThat(cache.logCacheBytesUsed()).isEqualTo(100 * ENTRY_BYTES);
            assertThat(cache.cacheFirstIndex()).isEqualTo(1);
            // Half become durable: only those may go, and only as far as the budget needs.
            wal.appendAndSyncBlocking(entries(1, 1, 50));
            cache.markDurable(new OpId(1, 50));
            assertThat(cache.cacheFirstIndex()).isEqualTo(51);
            assertThat(cache.logCacheBytesUsed()).isEqualTo(50 * ENTRY_BYTES);
            wal.appendAndSyncBlocking(entries(1, 51, 100));
            cache.markDurable(new OpId(1, 100));
            assertThat(cache.logCacheBytesUsed()).isLessThanOrEqualTo(BUDGET_BYTES);
            assertThat(cache.entries(1, 100, Long.MAX_VALUE)).isEqualTo(entries(1, 1, 100));
        }
    }

    /**
     * Goal: a conflicting append replaces the suffix (section 5.3), also when the replaced range was
     * already evicted to the WAL, and a late durability report for the replaced entries is ignored.
     */
    @Test
    void appendReplacesTheSuffix() throws IOException {
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            LogCache cache = new LogCache(wal, BUDGET_BYTES);
            List<Entry> first = entries(1, 1, 60);
            cache.append(first);
            driverWrites(wal, cache, first);
            assertThat(cache.cacheFirstIndex()).isGreaterThan(30);
            // Replace within the cached range.
            cache.append(entries(2, 55, 58));
            assertThat(cache.lastOpId()).isEqualTo(new OpId(2, 58));
            assertThat(cache.durableIndex()).isEqualTo(54);
            cache.markDurable(new OpId(1, 60));
            assertThat(cache.durableIndex()).as("late report for replaced entries").isEqualTo(54);
            // Replace reaching into evicted entries.
            List<Entry> replacement = entries(3, 20, 25);
            cache.append(replacement);
            assertThat(cache.lastOpId()).isEqualTo(new OpId(3, 25));
            assertThat(cache.term(19)).isEqualTo(1);
            assertThat(cache.term(20)).isEqualTo(3);
            List<Entry> expected = new ArrayList<>(first.subList(0, 19));
            expected.addAll(replacement);
            assertThat(cache.entries(1, 100, Long.MAX_VALUE)).isEqualTo(expected);
            driverWrites(wal, cache, replacement);
            assertThat(cache.durableIndex()).isEqualTo(25);
            assertThat(cache.entries(1, 25, Long.MAX_VALUE)).isEqualTo(expected);
            assertThatThrownBy(() -> cache.append(entries(3, 27, 27))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** Goal: after a tablet copy the cache is empty and the log restarts after the snapshot OpId. */
    @Test
    void resetToClears() throws IOException {
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            LogCache cache = new LogCache(wal, BUDGET_BYTES);
            cache.append(entries(1, 1, 10));
            cache.resetTo(new OpId(4, 500));
            wal.resetTo(new OpId(4, 500));
            assertThat(cache.logCacheBytesUsed()).isZero();
            assertThat(cache.snapshotOpId()).isEqualTo(new OpId(4, 500));
            assertThat(cache.firstIndex()).isEqualTo(501);
            assertThat(cache.lastOpId()).isEqualTo(new OpId(4, 500));
            cache.append(entries(5, 501, 502));
            assertThat(cache.entries(501, 502, Long.MAX_VALUE)).isEqualTo(entries(5, 501, 502));
        }
    }

    /** Goal: a cache over an existing WAL serves its entries and follows its GC point. */
    @Test
    void startsFromAnExistingWalAndFollowsItsGc() throws IOException {
        try (Wal wal = Wal.open(dir, new WalOptions(2048, 256))) {
            for (long index = 1; index <= 100; index += 10) {
                wal.appendAndSyncBlocking(entries(1, index, index + 9)); // batches never split, so several
            }
            LogCache cache = new LogCache(wal, BUDGET_BYTES);
            assertThat(cache.lastOpId()).isEqualTo(new OpId(1, 100));
            assertThat(cache.entries(1, 3, Long.MAX_VALUE)).isEqualTo(entries(1, 1, 3));
            cache.append(entries(1, 101, 101));
            driverWrites(wal, cache, entries(1, 101, 101));
            wal.deleteSegmentsBelow(50);
            assertThat(cache.firstIndex()).isEqualTo(wal.firstIndex()).isGreaterThan(1);
            assertThat(cache.term(cache.firstIndex() - 1)).isEqualTo(1);
        }
    }
}
