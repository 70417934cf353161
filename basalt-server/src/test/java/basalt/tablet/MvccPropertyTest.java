package basalt.tablet;

import static basalt.tablet.TabletHarness.SCHEMA;
import static basalt.tablet.TabletHarness.metadata;
import static basalt.tablet.TabletHarness.op;
import static basalt.tablet.TabletHarness.rows;
import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.ChecksumRequestPB;
import basalt.proto.Code;
import basalt.proto.OperationType;
import basalt.proto.ReadMode;
import basalt.proto.RowErrorPB;
import basalt.proto.RowOperationPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.WriteResponsePB;
import basalt.tablet.TabletHarness.Replica;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Goal: a read at T sees exactly the writes with timestamp <= T, and apply-time outcomes match the row
 * semantics. Method: random batches of operations on a few keys, each batch one entry, with the wall
 * clock moving or standing still; a model keeps the table after every batch; then every timestamp (and
 * the one just before it) is read and compared with the model's table at that time.
 */
class MvccPropertyTest {
    record Step(List<RowOperationPB> operations, long advanceMicros) {}

    @Provide
    Arbitrary<List<Step>> histories() {
        Arbitrary<RowOperationPB> operation = Combinators.combine(
                Arbitraries.of(OperationType.INSERT, OperationType.UPSERT, OperationType.UPDATE, OperationType.DELETE,
                        OperationType.INSERT_IGNORE),
                Arbitraries.longs().between(0, 4), Arbitraries.strings().alpha().ofLength(2))
                .as((type, key, name) -> type == OperationType.DELETE ? op(type, key) : op(type, key, name));
        Arbitrary<Step> step = Combinators.combine(operation.list().ofMinSize(1).ofMaxSize(3),
                Arbitraries.of(0L, 0L, 1L, 5L)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(25);
    }

    @Property(tries = 40)
    void readAtTimestampSeesExactlyTheWritesAtOrBeforeIt(@ForAll("histories") List<Step> history) throws IOException {
        Path dir = Files.createTempDirectory("mvcc");
        try (TabletStore store = TabletStore.open(dir)) {
            Replica replica = new Replica(store, metadata("m", SCHEMA));
            TreeMap<Long, String> table = new TreeMap<>();
            TreeMap<Long, Map<Long, String>> tableAt = new TreeMap<>();
            long previous = 0;
            for (Step step : history) {
                replica.wall.micros += step.advanceMicros();
                WriteResponsePB response = replica.write(step.operations().toArray(RowOperationPB[]::new));
                assertThat(response.getTimestamp()).isGreaterThan(previous);
                previous = response.getTimestamp();
                assertThat(response.getRowErrorsList()).extracting(RowErrorPB::getRow, e -> e.getError().getCode())
                        .containsExactlyElementsOf(applyToModel(step.operations(), table));
                tableAt.put(response.getTimestamp(), Map.copyOf(table));
            }
            for (long timestamp : tableAt.keySet()) {
                for (long readAt : new long[] {timestamp - 1, timestamp}) {
                    Map.Entry<Long, Map<Long, String>> expected = tableAt.floorEntry(readAt);
                    List<List<Object>> expectedRows = new ArrayList<>();
                    if (expected != null) {
                        expected.getValue().entrySet().stream().sorted(Map.Entry.comparingByKey())
                                .forEach(e -> expectedRows.add(List.of(e.getKey(), e.getValue())));
                    }
                    List<List<Object>> actual = rows(replica.tablet.scan(ScanRequestPB.newBuilder().setTabletId("m")
                            .setReadMode(ReadMode.READ_AT_SNAPSHOT).setSnapshotTimestamp(readAt)
                            .addProjection("id").addProjection("name").build()));
                    assertThat(actual).as("read at %s", readAt).isEqualTo(expectedRows);
                    assertThat(replica.tablet.checksum(ChecksumRequestPB.newBuilder().setSnapshotTimestamp(readAt)
                            .build()).getRows()).isEqualTo(expectedRows.size());
                }
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /** Applies a batch to the model and returns the expected (row, code) errors. */
    private static List<org.assertj.core.groups.Tuple> applyToModel(List<RowOperationPB> operations,
                                                                    TreeMap<Long, String> table) {
        List<org.assertj.core.groups.Tuple> errors = new ArrayList<>();
        for (int row = 0; row < operations.size(); row++) {
            RowOperationPB operation = operations.get(row);
            long key = operation.getRow().getValues(0).getValue().getIntValue();
            String name = operation.getRow().getValuesCount() > 1
                    ? operation.getRow().getValues(1).getValue().getStringValue() : null;
            boolean present = table.containsKey(key);
            switch (operation.getType()) {
                case INSERT -> {
                    if (present) {
                        errors.add(org.assertj.core.groups.Tuple.tuple(row, Code.ALREADY_PRESENT));
                    } else {
                        table.put(key, name);
                    }
                }
                case INSERT_IGNORE -> table.putIfAbsent(key, name);
                case UPSERT -> table.put(key, name);
                case UPDATE, DELETE -> {
                    if (!present) {
                        errors.add(org.assertj.core.groups.Tuple.tuple(row, Code.NOT_FOUND));
                    } else if (operation.getType() == OperationType.UPDATE) {
                        table.put(key, name);
                    } else {
                        table.remove(key);
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        return errors;
    }
}
