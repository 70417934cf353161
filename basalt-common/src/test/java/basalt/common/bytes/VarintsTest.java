package basalt.common.bytes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Goal: the varints every stored and replicated format shares are the standard LEB128 bytes, both ways of writing them alike. */
class VarintsTest {
    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static byte[] encode(int value) {
        byte[] out = new byte[Varints.MAX_INT_BYTES];
        return Arrays.copyOf(out, Varints.put(out, 0, value));
    }

    @Test
    void knownEncodings() {
        assertThat(encode(0)).containsExactly(bytes(0x00));
        assertThat(encode(127)).containsExactly(bytes(0x7F));
        assertThat(encode(128)).containsExactly(bytes(0x80, 0x01));
        assertThat(encode(300)).containsExactly(bytes(0xAC, 0x02));
        assertThat(encode(Integer.MAX_VALUE)).containsExactly(bytes(0xFF, 0xFF, 0xFF, 0xFF, 0x07));
    }

    @Property
    void sizeAndBothWritersAgree(@ForAll @IntRange(min = 0) int value) {
        byte[] array = encode(value);
        ByteBuffer buffer = ByteBuffer.allocate(Varints.MAX_INT_BYTES);
        Varints.put(buffer, value);
        assertThat(array).hasSize(Varints.size(value));
        assertThat(Arrays.copyOf(buffer.array(), buffer.position())).containsExactly(array);
    }

    @Test
    void writesAtTheGivenOffsetAndReturnsTheNext() {
        byte[] out = new byte[4];
        assertThat(Varints.put(out, 1, 300)).isEqualTo(3);
        assertThat(out).containsExactly(bytes(0x00, 0xAC, 0x02, 0x00));
    }
}
