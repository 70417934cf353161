package basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.row.CellType;
import basalt.common.row.PackedRows;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.consensus.wal.Wal;
import basalt.consensus.wal.WalOptions;
import basalt.proto.ColumnValuePB;
import basalt.proto.OperationType;
import basalt.proto.ReplicatedWritePB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.ValuePB;
import com.google.protobuf.ByteString;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalDumpCommandTest {
    @TempDir
    Path dir;

    /** Goal: wal dump lists every entry of a WAL directory with its OpId, type and payload size. */
    @Test
    void dumpsEveryEntry() throws Exception {
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            wal.appendAndSyncBlocking(List.of(
                    new Entry(new OpId(1, 1), EntryType.NO_OP, ByteString.EMPTY),
                    new Entry(new OpId(1, 2), EntryType.NORMAL, ByteString.copyFromUtf8("hello"))));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = BasaltMain.execute(new String[] {"wal", "dump", dir.toString()}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertThat(exitCode).as(err.toString()).isZero();
        assertThat(out.toString())
                .contains("op_id=1.1 type=NO_OP payload_bytes=0\n")
                .contains("op_id=1.2 type=NORMAL payload_bytes=5")
                .contains("2 records");
        int badSchema = BasaltMain.execute(new String[] {"wal", "dump", dir.toString(), "--schema", "id INT64 KEY, v NUMBER"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertThat(badSchema).isEqualTo(2);
        assertThat(err.toString()).contains("--schema: column 'v' has an unknown type NUMBER");
        int missing = BasaltMain.execute(new String[] {"wal", "dump", dir.resolve("nope").toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertThat(missing).isEqualTo(1);
    }

    /** Goal: a tablet's write entries show each row operation with its values, named by --schema when given. */
    @Test
    void rendersTheRowsOfATabletWrite() throws Exception {
        ReplicatedWritePB write = ReplicatedWritePB.newBuilder().setTimestamp(42)
                .addOperations(RowOperationPB.newBuilder().setType(OperationType.INSERT).setRow(RowPB.newBuilder()
                        .addValues(cell(0, ValuePB.newBuilder().setIntValue(7)))
                        .addValues(cell(1, ValuePB.newBuilder().setStringValue("x")))
                        .addValues(cell(2, ValuePB.newBuilder()))))
                .addOperations(RowOperationPB.newBuilder().setType(OperationType.UPDATE)
                        .setRow(RowPB.newBuilder().addValues(cell(0, ValuePB.newBuilder().setIntValue(7)))
                                .addValues(cell(2, ValuePB.newBuilder().setDoubleValue(2.5))))
                        .setExpected(RowPB.newBuilder().addValues(cell(2, ValuePB.newBuilder()))))
                .build();
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            wal.appendAndSyncBlocking(List.of(new Entry(new OpId(3, 1), EntryType.NORMAL, write.toByteString()),
                    new Entry(new OpId(3, 2), EntryType.CONFIG, ByteString.copyFromUtf8("voters=a,b,c;learners="))));
        }
        StringWriter out = new StringWriter();
        assertThat(BasaltMain.execute(new String[] {"wal", "dump", dir.toString()}, new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true))).isZero();
        assertThat(out.toString()).contains("op_id=3.1 type=NORMAL payload_bytes=" + write.getSerializedSize()
                + " timestamp=42 | INSERT (c0=7, c1=\"x\", c2=NULL) | UPDATE (c0=7, c2=2.5) IF (c2=NULL)");
        out = new StringWriter();
        assertThat(BasaltMain.execute(new String[] {"wal", "dump", dir.toString(), "--schema", "id INT64 KEY, name STRING, v DOUBLE"},
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))).isZero();
        assertThat(out.toString()).contains("INSERT (id=7, name=\"x\", v=NULL) | UPDATE (id=7, v=2.5) IF (v=NULL)")
                .contains("op_id=3.2 type=CONFIG payload_bytes=22 membership voters=a,b,c;learners=");
    }

    /** Goal: a write replicated as a packed block shows its rows too, when --schema says how to read them. */
    @Test
    void rendersTheRowsOfAPackedWrite() throws Exception {
        byte[] block = new PackedRows.Writer(List.of(CellType.INT64, CellType.STRING), List.of("id", "name"), 64)
                .add(OperationType.UPSERT.getNumber(), new Object[] {7L, "x"}, new boolean[] {true, true})
                .add(OperationType.DELETE.getNumber(), new Object[] {8L, null}, new boolean[] {true, false})
                .toByteArray();
        ReplicatedWritePB write = ReplicatedWritePB.newBuilder().setTimestamp(43)
                .setPackedRows(ByteString.copyFrom(block)).build();
        try (Wal wal = Wal.open(dir, WalOptions.defaults())) {
            wal.appendAndSyncBlocking(List.of(new Entry(new OpId(4, 1), EntryType.NORMAL, write.toByteString())));
        }
        StringWriter out = new StringWriter();
        assertThat(BasaltMain.execute(new String[] {"wal", "dump", dir.toString(), "--schema", "id INT64 KEY, name STRING"},
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))).isZero();
        assertThat(out.toString()).contains("timestamp=43 | UPSERT (id=7, name=\"x\") | DELETE (id=8)");
        out = new StringWriter();
        assertThat(BasaltMain.execute(new String[] {"wal", "dump", dir.toString()}, new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true))).isZero();
        assertThat(out.toString()).contains("timestamp=43 | packed rows (" + block.length + " bytes; give the schema to see them)");
    }

    private static ColumnValuePB cell(int column, ValuePB.Builder value) {
        return ColumnValuePB.newBuilder().setColumn(column).setValue(value).build();
    }
}
