package basalt.tablet;

import static basalt.proto.OperationType.DELETE;
import static basalt.proto.OperationType.INSERT;
import static basalt.proto.OperationType.INSERT_IGNORE;
import static basalt.proto.OperationType.UPDATE;
import static basalt.proto.OperationType.UPSERT;
import static basalt.tablet.TabletHarness.SCHEMA;
import static basalt.tablet.TabletHarness.UNSET;
import static basalt.tablet.TabletHarness.metadata;
import static basalt.tablet.TabletHarness.op;
import static basalt.tablet.TabletHarness.rows;
import static basalt.tablet.TabletWriteTest.errors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.row.PackedRows;
import basalt.consensus.core.EntryType;
import basalt.proto.ChecksumRequestPB;
import basalt.proto.Code;
import basalt.proto.OperationType;
import basalt.proto.ReplicatedWritePB;
import basalt.proto.RequestIdPB;
import basalt.proto.RowOperationPB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import basalt.tablet.TabletHarness.Replica;
import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a write of packed rows has exactly the outcome of the same rows as protobuf operations, on the
 * leader (which validates the block) and on a follower (which decodes the replicated block itself), and a
 * broken block is refused whole with nothing applied.
 */
class TabletPackedWriteTest {
    @TempDir
    Path dir;
    TabletStore protobufStore;
    TabletStore packedStore;
    TabletStore followerStore;
    Replica protobuf;
    Replica packed;
    Replica follower;

    @BeforeEach
    void open() throws Exception {
        protobufStore = TabletStore.open(dir.resolve("protobuf"));
        packedStore = TabletStore.open(dir.resolve("packed"));
        followerStore = TabletStore.open(dir.resolve("follower"));
        protobuf = new Replica(protobufStore, metadata("t1", SCHEMA));
        packed = new Replica(packedStore, metadata("t1", SCHEMA));
        follower = new Replica(followerStore, metadata("t1", SCHEMA));
    }

    @AfterEach
    void close() {
        protobufStore.close();
        packedStore.close();
        followerStore.close();
    }

    /** One operation as the packed writer takes it: positional cells, UNSET for an unset column. */
    record PackedOp(OperationType type, Object[] cells) {}

    static PackedOp row(OperationType type, Object... cells) {
        return new PackedOp(type, cells);
    }

    static ByteString block(List<PackedOp> operations) {
        PackedRows.Writer writer = new PackedRows.Writer(SCHEMA.cellTypes(),
                SCHEMA.columnNames(), 256);
        for (PackedOp operation : operations) {
            Object[] cells = new Object[SCHEMA.columnCount()];
            boolean[] set = new boolean[SCHEMA.columnCount()];
            for (int i = 0; i < operation.cells().length; i++) {
                set[i] = operation.cells()[i] != UNSET;
                cells[i] = set[i] ? operation.cells()[i] : null;
            }
            writer.add(operation.type().getNumber(), cells, set);
        }
        return ByteString.copyFrom(writer.toByteArray());
    }

    static WriteRequestPB packedRequest(List<PackedOp> operations) {
        return WriteRequestPB.newBuilder().setTabletId("t1").setPackedRows(block(operations)).build();
    }

    static RowOperationPB asProtobuf(PackedOp operation) {
        return op(operation.type(), operation.cells());
    }

    /** Writes the rows both ways, and replays the packed leader's entry on the follower; all three must agree. */
    private List<String> writeEveryWay(List<PackedOp> operations) {
        WriteResponsePB viaProtobuf = protobuf.write(operations.stream().map(TabletPackedWriteTest::asProtobuf)
                .toArray(RowOperationPB[]::new));
        PreparedWrite prepared = packed.tablet.prepareWrite(packedRequest(operations));
        WriteResponsePB viaPacked = prepared.needsReplication()
                ? (WriteResponsePB) packed.apply(EntryType.NORMAL, prepared.payload())
                : prepared.responseWithoutReplication();
        if (prepared.needsReplication()) {
            WriteResponsePB onFollower = (WriteResponsePB) follower.apply(EntryType.NORMAL,
                    ByteString.copyFrom(prepared.payload().toByteArray())); // not the leader's object: decoded afresh
            assertThat(errors(onFollower)).isEqualTo(errors(viaPacked));
        }
        assertThat(errors(viaPacked)).isEqualTo(errors(viaProtobuf));
        return errors(viaPacked);
    }

    private long checksum(Replica replica) {
        return replica.tablet.checksum(ChecksumRequestPB.newBuilder().setTabletId("t1").build()).getChecksum();
    }

    @Test
    void packedRowsHaveTheOutcomesOfTheSameRowsAsOperations() {
        List<String> errors = writeEveryWay(List.of(
                row(INSERT, 1L, "a"),
                row(UPDATE, 1L, UNSET, 2.0),
                row(INSERT, 1L, "dup"),
                row(INSERT, 2L, "b", null),
                row(DELETE, 2L),
                row(UPDATE, 2L, "gone"),
                row(INSERT, UNSET, "no key"),
                row(UPDATE, 1L, null),
                row(INSERT, 3L, "x".repeat(65 * 1024)),
                row(DELETE, 1L, "a"),
                row(UPSERT, 4L, "é😀 multi-byte"),
                row(INSERT_IGNORE, 4L, "ignored")));

        assertThat(errors).containsExactly(
                "2 ALREADY_PRESENT row 2: key (1) already present",
                "5 NOT_FOUND row 5: key (2) not found",
                "6 INVALID_ARGUMENT row 6: key column 'id' is missing",
                "7 INVALID_ARGUMENT row 7: column 'name' is NOT NULL but gets no value",
                "8 INVALID_ARGUMENT row 8: column 'name' is 66560 bytes, over the cell limit of 65536 bytes",
                "9 INVALID_ARGUMENT row 9: DELETE sets non-key column 'name'");
        assertThat(rows(packed.scanAll())).isEqualTo(rows(protobuf.scanAll()))
                .containsExactly(List.of(1L, "a", 2.0), java.util.Arrays.asList(4L, "é😀 multi-byte", null));
        assertThat(checksum(packed)).isEqualTo(checksum(protobuf)).isEqualTo(checksum(follower));
    }

    @Test
    void randomBatchesAgreeEveryWay() {
        Random random = new Random(20261126);
        OperationType[] types = {INSERT, UPSERT, UPDATE, DELETE, INSERT_IGNORE};
        for (int batch = 0; batch < 30; batch++) {
            List<PackedOp> operations = new ArrayList<>();
            for (int i = 0, n = 1 + random.nextInt(40); i < n; i++) {
                OperationType type = types[random.nextInt(types.length)];
                long key = random.nextInt(25);
                operations.add(type == DELETE ? row(type, key) : switch (random.nextInt(4)) {
                    case 0 -> row(type, key, "v" + random.nextInt(1000));
                    case 1 -> row(type, key, "w" + batch, random.nextDouble());
                    case 2 -> row(type, key, UNSET, random.nextBoolean() ? null : (Object) random.nextDouble());
                    default -> row(type, key, "z", null);
                });
            }
            writeEveryWay(operations);
        }
        assertThat(rows(packed.scanAll())).isEqualTo(rows(protobuf.scanAll())).isNotEmpty();
        assertThat(checksum(packed)).isEqualTo(checksum(protobuf)).isEqualTo(checksum(follower));
    }

    @Test
    void aBlockWithNoRefusedRowIsReplicatedWithoutRowIndexesAndAppliedWholeByFollowers() throws Exception {
        PreparedWrite clean = packed.tablet.prepareWrite(packedRequest(List.of(row(INSERT, 1L, "a"), row(INSERT, 2L, "b"))));
        PreparedWrite refused = packed.tablet.prepareWrite(packedRequest(List.of(row(INSERT, 3L, "c"), row(INSERT, UNSET, "d"))));

        assertThat(ReplicatedWritePB.parseFrom(clean.payload()).getRowIndexesList()).isEmpty();
        assertThat(ReplicatedWritePB.parseFrom(refused.payload()).getRowIndexesList()).containsExactly(0);
        follower.apply(EntryType.NORMAL, ByteString.copyFrom(clean.payload().toByteArray()));
        WriteResponsePB partly = (WriteResponsePB) follower.apply(EntryType.NORMAL,
                ByteString.copyFrom(refused.payload().toByteArray()));
        assertThat(errors(partly)).containsExactly("1 INVALID_ARGUMENT row 1: key column 'id' is missing");
        assertThat(rows(follower.scanAll())).extracting(row -> row.get(0)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void theLeaderRefusesExactlyTheStringsTheDecoderCallsNotUtf8AndOnlyTheirRows() {
        // The same layout with the STRING column written as BINARY: any bytes can go into the block.
        List<basalt.common.row.CellType> asBinary = SCHEMA.cellTypes().stream()
                .map(type -> type == basalt.common.row.CellType.STRING ? basalt.common.row.CellType.BINARY : type)
                .toList();
        byte[][] pieces = {{'a'}, {0}, {(byte) 0xC3, (byte) 0xA9}, {(byte) 0xE2, (byte) 0x82, (byte) 0xAC},
                {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}, {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80} /* a surrogate */, {(byte) 0xC0, (byte) 0x80} /* overlong */,
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80} /* above U+10FFFF */, {(byte) 0x80}, {(byte) 0xE2},
                {(byte) 0xFF}};
        Random random = new Random(11);
        PackedRows.Writer writer = new PackedRows.Writer(asBinary, SCHEMA.columnNames(), 256);
        for (int row = 0; row < 300; row++) {
            java.io.ByteArrayOutputStream name = new java.io.ByteArrayOutputStream();
            for (int i = 0, n = random.nextInt(4); i < n; i++) {
                name.writeBytes(random.nextInt(3) == 0 ? pieces[6 + random.nextInt(pieces.length - 6)]
                        : pieces[random.nextInt(6)]);
            }
            writer.add(INSERT.getNumber(), new Object[] {(long) row, name.toByteArray(), null},
                    new boolean[] {true, true, false});
        }
        byte[] block = writer.toByteArray();
        List<String> expected = new ArrayList<>();
        List<PackedRows.Row> decoded = PackedRows.decode(block, SCHEMA.cellTypes(),
                SCHEMA.columnNames(), 1000);
        for (int row = 0; row < decoded.size(); row++) {
            if (decoded.get(row).error() != null) {
                expected.add(row + " INVALID_ARGUMENT row " + row + ": " + decoded.get(row).error());
            }
        }

        WriteResponsePB response = packed.write(WriteRequestPB.newBuilder().setTabletId("t1")
                .setPackedRows(ByteString.copyFrom(block)).build());

        assertThat(expected).hasSizeBetween(20, 280).allMatch(error -> error.endsWith("column 'name': not valid UTF-8"));
        assertThat(errors(response)).isEqualTo(expected);
        assertThat(rows(packed.scanAll())).hasSize(300 - expected.size());
    }

    @Test
    void aBoolByteOtherThanZeroOrOneSpoilsOnlyItsRow() throws Exception {
        Schema flags = Schema.parse("id INT64 KEY, on BOOL");
        try (TabletStore store = TabletStore.open(dir.resolve("flags"))) {
            Replica replica = new Replica(store, metadata("t1", flags));
            byte[] block = new PackedRows.Writer(flags.cellTypes(), flags.columnNames(), 64)
                    .add(INSERT.getNumber(), new Object[] {1L, true}, new boolean[] {true, true})
                    .add(INSERT.getNumber(), new Object[] {2L, false}, new boolean[] {true, true}).toByteArray();
            block[block.length - 1] = 7; // row 1's BOOL cell, the block's last byte

            WriteResponsePB response = replica.write(WriteRequestPB.newBuilder().setTabletId("t1")
                    .setPackedRows(ByteString.copyFrom(block)).build());

            assertThat(errors(response)).containsExactly(
                    "1 INVALID_ARGUMENT row 1: column 'on': BOOL byte 7 is neither 0 nor 1");
            assertThat(rows(replica.scanAll())).containsExactly(List.of(1L, true));
        }
    }

    @Test
    void unknownOperationTypeSpoilsOnlyItsRow() {
        PackedRows.Writer writer = new PackedRows.Writer(SCHEMA.cellTypes(), SCHEMA.columnNames(), 64)
                .add(INSERT.getNumber(), new Object[] {1L, "a", null}, new boolean[] {true, true, false})
                .add(77, new Object[] {2L, "b", null}, new boolean[] {true, true, false});
        WriteResponsePB response = packed.write(WriteRequestPB.newBuilder().setTabletId("t1")
                .setPackedRows(ByteString.copyFrom(writer.toByteArray())).build());

        assertThat(errors(response)).containsExactly("1 INVALID_ARGUMENT row 1: unknown operation type");
        assertThat(rows(packed.scanAll())).containsExactly(java.util.Arrays.asList(1L, "a", null));
    }

    @Test
    void aBrokenBlockIsRefusedWholeAndNothingIsApplied() {
        byte[] good = block(List.of(row(INSERT, 1L, "a"), row(INSERT, 2L, "b"))).toByteArray();
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);

        assertThatThrownBy(() -> packed.tablet.prepareWrite(WriteRequestPB.newBuilder().setTabletId("t1")
                .setPackedRows(ByteString.copyFrom(truncated)).build()))
                .isInstanceOfSatisfying(TabletException.class, e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT))
                .hasMessage("malformed packed rows: row 1: column 'name' needs 1 bytes but 0 are left");
        assertThat(rows(packed.scanAll())).isEmpty();
        assertThat(packed.tablet.safeTime()).as("nothing left in flight").isPositive();
    }

    @Test
    void operationsAndPackedRowsTogetherAreRefused() {
        WriteRequestPB both = packedRequest(List.of(row(INSERT, 1L, "a"))).toBuilder()
                .addOperations(op(INSERT, 2L, "b")).build();

        assertThatThrownBy(() -> packed.tablet.prepareWrite(both)).isInstanceOf(TabletException.class)
                .hasMessage("write carries both operations and packed rows; send one or the other");
    }

    @Test
    void moreRowsThanTheLimitAreRefusedWhole() throws Exception {
        try (TabletStore small = TabletStore.open(dir.resolve("small"))) {
            Tablet tablet = small.createTablet(metadata("t1", SCHEMA), packed.clock, new TabletOptions(64, 2, 10));
            assertThatThrownBy(() -> tablet.prepareWrite(packedRequest(List.of(row(INSERT, 1L, "a"),
                    row(INSERT, 2L, "b"), row(INSERT, 3L, "c")))))
                    .hasMessage("malformed packed rows: 3 rows, over the limit of 2 per write");
        }
    }

    @Test
    void aBlockForAnotherSchemaVersionIsASchemaMismatch() {
        WriteRequestPB request = packedRequest(List.of(row(INSERT, 1L, "a"))).toBuilder().setSchemaVersion(3).build();

        assertThatThrownBy(() -> packed.tablet.prepareWrite(request)).isInstanceOfSatisfying(TabletException.class,
                e -> assertThat(e.code()).isEqualTo(Code.SCHEMA_MISMATCH));
    }

    @Test
    void aRetriedPackedWriteReturnsItsFirstOutcomeAndAppliesNothingTwice() {
        WriteRequestPB request = packedRequest(List.of(row(INSERT, 1L, "a"), row(INSERT, 1L, "b"))).toBuilder()
                .setRequestId(RequestIdPB.newBuilder().setClientId("c1").setSequence(5)).build();

        WriteResponsePB first = packed.write(request);
        packed.write(TabletHarness.request("t1", op(UPDATE, 1L, "changed")));
        WriteResponsePB retried = packed.write(request);

        assertThat(retried).isEqualTo(first);
        assertThat(errors(first)).containsExactly("1 ALREADY_PRESENT row 1: key (1) already present");
        assertThat(rows(packed.scanAll())).containsExactly(java.util.Arrays.asList(1L, "changed", null));
    }
}
