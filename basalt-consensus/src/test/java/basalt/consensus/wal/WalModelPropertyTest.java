package basalt.consensus.wal;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Goal: whatever mix of appends, conflicting appends, truncations, GC and reopens runs against the WAL,
 * it holds exactly what a simple in-memory list of entries holds. Method: a seeded random sequence of
 * operations on tiny segments, checked against the model after every operation and after each reopen.
 */
class WalModelPropertyTest {
    private static final WalOptions TINY = new WalOptions(512, 64);

    @Property(tries = 25)
    void walMatchesAModelList(@ForAll long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        Path dir = Files.createTempDirectory("wal-model-");
        List<Entry> model = new ArrayList<>();
        long modelFirstIndex = 1;
        long term = 1;
        try {
            Wal wal = Wal.open(dir, TINY);
            try {
                for (int step = 0; step < 60; step++) {
                    int operation = random.nextInt(10);
                    long last = modelFirstIndex - 1 + model.size();
                    if (operation < 5) {
                        long from = last + 1;
                        // Sometimes a conflicting append from a new leader (section 5.3).
                        if (operation == 0 && !model.isEmpty()) {
                            from = modelFirstIndex + random.nextInt(model.size());
                            term++;
                        }
                        int count = 1 + random.nextInt(4);
                        List<Entry> batch = new ArrayList<>();
                        for (int i = 0; i < count; i++) {
                            byte[] payload = new byte[random.nextInt(40)];
                            random.nextBytes(payload);
                            batch.add(new Entry(new OpId(term, from + i), EntryType.NORMAL, ByteString.copyFrom(payload)));
                        }
                        wal.append(batch);
                        model.subList((int) (from - modelFirstIndex), model.size()).clear();
                        model.addAll(batch);
                        if (random.nextBoolean()) {
                            wal.syncBlocking();
                        }
                    } else if (operation == 5 && !model.isEmpty()) {
                        long from = modelFirstIndex + random.nextInt(model.size());
                        wal.truncateSuffix(from);
                        model.subList((int) (from - modelFirstIndex), model.size()).clear();
                    } else if (operation == 6 && !model.isEmpty()) {
                        long anchor = modelFirstIndex + random.nextInt(model.size());
                        wal.deleteSegmentsBelow(anchor);
                        long newFirst = wal.firstIndex();
                        assertThat(newFirst).isLessThanOrEqualTo(anchor);
                        model.subList(0, (int) (newFirst - modelFirstIndex)).clear();
                        modelFirstIndex = newFirst;
                    } else if (operation == 7) {
                        wal.close();
                        wal = Wal.open(dir, TINY);
                    }
                    check(wal, model, modelFirstIndex);
                }
            } finally {
                wal.close();
            }
            try (Wal reopened = Wal.open(dir, TINY)) {
                check(reopened, model, modelFirstIndex);
            }
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }

    private static void check(Wal wal, List<Entry> model, long modelFirstIndex) throws IOException {
        assertThat(wal.firstIndex()).isEqualTo(modelFirstIndex);
        assertThat(wal.lastIndex()).isEqualTo(modelFirstIndex - 1 + model.size());
        if (!model.isEmpty()) {
            assertThat(wal.read(modelFirstIndex, wal.lastIndex(), Long.MAX_VALUE)).isEqualTo(model);
            assertThat(wal.lastOpId()).isEqualTo(model.get(model.size() - 1).opId());
        }
    }
}
