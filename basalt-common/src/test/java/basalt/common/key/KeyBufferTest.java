package basalt.common.key;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Goal: the lock-free key buffer writes exactly the bytes the JDK's stream does, also once it has to grow. */
class KeyBufferTest {
    static void encodeKey(ByteArrayOutputStream out) {
        KeyBytes.writeSigned(out, -42L, 8);
        KeyBytes.writeEscaped(out, "a\0b".repeat(20).getBytes(StandardCharsets.UTF_8));
        KeyBytes.writeEscaped(out, new byte[] {0, 0, 7});
        KeyBytes.writeDouble(out, -0.5);
        KeyBytes.writeSigned(out, 3L, 1);
        KeyBytes.writeBool(out, true);
    }

    @Test
    void encodesTheSameBytesAsAByteArrayOutputStreamAndGrows() {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        KeyBuffer actual = new KeyBuffer(2);
        encodeKey(expected);
        encodeKey(actual);
        actual.write(new byte[] {9, 8, 7, 6}, 1, 2);
        expected.write(new byte[] {9, 8, 7, 6}, 1, 2);

        assertThat(actual.size()).isGreaterThan(60);
        assertThat(actual.toByteArray()).isEqualTo(expected.toByteArray());
    }
}
