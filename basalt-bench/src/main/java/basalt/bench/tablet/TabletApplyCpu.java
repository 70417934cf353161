package basalt.bench.tablet;

import basalt.common.row.CellType;
import basalt.common.row.PackedRows;
import basalt.common.time.Clock;
import basalt.common.time.HybridClock;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.proto.OperationType;
import basalt.proto.TabletMetadataPB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import basalt.tablet.PreparedWrite;
import basalt.tablet.Schema;
import basalt.tablet.Tablet;
import basalt.tablet.TabletOptions;
import basalt.tablet.TabletStore;
import com.google.protobuf.ByteString;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * CPU time per row of a tablet's write path in one thread, without Raft, gRPC or other processes: the
 * leader's {@code prepareWrite} (validation) and {@code apply}, and a follower's {@code apply} of the same
 * payload as bytes it did not build. Rows are those of {@code TabletWriteBench}: {@code id INT64 KEY, v
 * STRING}, sequential keys, 100-byte values, packed batches of 1,000 (the block is built outside the timed
 * part). Thread CPU time, not wall time, so other load on the machine moves the result little.
 *
 * <pre>java -cp ... basalt.bench.tablet.TabletApplyCpu [warm-up batches] [measured batches] [rounds]</pre>
 */
public final class TabletApplyCpu {
    private static final int ROWS_PER_BATCH = 1000;
    private static final int VALUE_BYTES = 100;

    private TabletApplyCpu() {}

    public static void main(String[] args) throws Exception {
        int warmupBatches = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        int measuredBatches = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Schema schema = Schema.parse("id INT64 KEY, v STRING");
        TabletMetadataPB metadata = TabletMetadataPB.newBuilder().setTabletId("bench").setTableId("bench")
                .setTableName("bench").setSchema(schema.toPB()).build();
        Path dir = Files.createTempDirectory("tablet-apply-cpu");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (TabletStore leaderStore = TabletStore.open(dir.resolve("leader"));
             TabletStore followerStore = TabletStore.open(dir.resolve("follower"))) {
            Tablet leader = leaderStore.createTablet(metadata, new HybridClock(Clock.SYSTEM), TabletOptions.DEFAULT);
            Tablet follower = followerStore.createTablet(metadata, new HybridClock(Clock.SYSTEM), TabletOptions.DEFAULT);
            long[] nextKey = {0};
            long[] index = {0};
            long[] cpu = new long[2];
            String value = "x".repeat(VALUE_BYTES);
            for (int round = 0; round <= rounds; round++) {
                int batches = round == 0 ? warmupBatches : measuredBatches;
                Arrays.fill(cpu, 0);
                for (int b = 0; b < batches; b++) {
                    WriteRequestPB request = WriteRequestPB.newBuilder().setTabletId("bench")
                            .setPackedRows(block(schema, nextKey, value)).build();
                    long start = threads.getCurrentThreadCpuTime();
                    PreparedWrite prepared = leader.prepareWrite(request);
                    Entry entry = new Entry(new OpId(1, ++index[0]), EntryType.NORMAL, prepared.payload());
                    check((WriteResponsePB) leader.apply(entry));
                    long leaderDone = threads.getCurrentThreadCpuTime();
                    // The follower's copy arrives as bytes: nothing of the leader's objects is shared.
                    ByteString received = ByteString.copyFrom(prepared.payload().toByteArray());
                    long followerStart = threads.getCurrentThreadCpuTime();
                    check((WriteResponsePB) follower.apply(new Entry(entry.opId(), EntryType.NORMAL, received)));
                    long followerDone = threads.getCurrentThreadCpuTime();
                    cpu[0] += leaderDone - start;
                    cpu[1] += followerDone - followerStart;
                }
                double rows = (double) batches * ROWS_PER_BATCH;
                System.out.printf(Locale.ROOT, "%s: leader prepare+apply %.3f us/row, follower apply %.3f us/row"
                                + " (%d batches of %d rows)%n", round == 0 ? "warm-up" : "round " + round,
                        cpu[0] / rows / 1000, cpu[1] / rows / 1000, batches, ROWS_PER_BATCH);
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static ByteString block(Schema schema, long[] nextKey, String value) {
        List<CellType> types = List.of(CellType.INT64, CellType.STRING);
        PackedRows.Writer writer = new PackedRows.Writer(types, List.of(schema.column(0).name(),
                schema.column(1).name()), ROWS_PER_BATCH * (VALUE_BYTES + 16));
        boolean[] set = {true, true};
        for (int i = 0; i < ROWS_PER_BATCH; i++) {
            writer.add(OperationType.INSERT.getNumber(), new Object[] {nextKey[0]++, value}, set);
        }
        return ByteString.copyFrom(writer.toByteArray());
    }

    private static void check(WriteResponsePB response) {
        if (response.hasError() || response.getRowErrorsCount() > 0) {
            throw new IllegalStateException("the bench's rows were refused: " + response);
        }
    }
}
