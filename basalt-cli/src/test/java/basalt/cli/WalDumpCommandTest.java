package basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.consensus.wal.Wal;
import basalt.consensus.wal.WalOptions;
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
                .contains("op_id=1.1 type=NO_OP payload_bytes=0")
                .contains("op_id=1.2 type=NORMAL payload_bytes=5")
                .contains("2 records");
        int missing = BasaltMain.execute(new String[] {"wal", "dump", dir.resolve("nope").toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertThat(missing).isEqualTo(1);
    }
}
