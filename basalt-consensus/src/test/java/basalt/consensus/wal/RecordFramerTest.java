package basalt.consensus.wal;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Goal: the framing's read-back check tells an entry from any entry that differs in a field or one byte. */
class RecordFramerTest {
    private static Entry entry(long index, EntryType type, ByteString payload) {
        return new Entry(new OpId(2, index), type, payload);
    }

    @Test
    void aFramedBatchReadsBackAsTheSameEntries() {
        byte[] big = new byte[100_000];
        big[77_777] = 5;
        List<Entry> entries = List.of(entry(1, EntryType.NORMAL, ByteString.copyFrom(big)),
                entry(2, EntryType.NO_OP, ByteString.EMPTY),
                entry(3, EntryType.NORMAL, ByteString.copyFromUtf8("a").concat(ByteString.copyFrom(big)))); // a rope

        ByteBuffer framed = RecordFramer.frame(entries);

        for (Entry entry : entries) {
            RecordFramer.Frame frame = RecordFramer.decode(framed);
            assertThat(frame.status()).isEqualTo(RecordFramer.Frame.Status.OK);
            assertThat(RecordFramer.readsBackAs(frame.entry(), entry)).isTrue();
            framed.position(framed.position() + frame.frameBytes());
        }
    }

    @Test
    void theReadBackCheckSeesOneChangedByteOrField() {
        byte[] bytes = new byte[100_000];
        Entry original = entry(1, EntryType.NORMAL, ByteString.copyFrom(bytes));
        bytes[99_999] = 1;

        assertThat(RecordFramer.readsBackAs(entry(1, EntryType.NORMAL, ByteString.copyFrom(bytes)), original)).isFalse();
        assertThat(RecordFramer.readsBackAs(entry(2, EntryType.NORMAL, original.payload()), original)).isFalse();
        assertThat(RecordFramer.readsBackAs(entry(1, EntryType.CONFIG, original.payload()), original)).isFalse();
        assertThat(RecordFramer.readsBackAs(entry(1, EntryType.NORMAL, original.payload().substring(1)), original))
                .isFalse();
    }
}
