package basalt.client.partition;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.DataType;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Goal: the lock-free key buffer writes exactly the bytes the JDK's stream does, also once it has to grow. */
class KeyBufferTest {
    @Test
    void encodesTheSameBytesAsAByteArrayOutputStreamAndGrows() {
        List<DataType> types = List.of(DataType.INT64, DataType.STRING, DataType.BINARY, DataType.DOUBLE, DataType.INT8);
        List<Object> values = List.of(-42L, "a\0b".repeat(20), ByteString.copyFrom(new byte[] {0, 0, 7}), -0.5, 3L);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        KeyBuffer actual = new KeyBuffer(2);
        for (int i = 0; i < types.size(); i++) {
            KeyEncoding.encodeColumn(types.get(i), values.get(i), expected);
            KeyEncoding.encodeColumn(types.get(i), values.get(i), actual);
        }
        actual.write(new byte[] {9, 8, 7, 6}, 1, 2);
        expected.write(new byte[] {9, 8, 7, 6}, 1, 2);

        assertThat(actual.size()).isGreaterThan(60);
        assertThat(actual.toByteArray()).isEqualTo(expected.toByteArray());
    }
}
