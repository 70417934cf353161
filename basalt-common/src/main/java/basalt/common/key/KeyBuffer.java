package basalt.common.key;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The bytes of one key being encoded, by one thread. {@link KeyBytes} writes a key a byte at a time into a
 * ByteArrayOutputStream, whose every write takes a lock: for the few bytes of a key (and for every row a
 * session routes) that lock was most of the cost, so these writes take none. Not thread-safe.
 */
public final class KeyBuffer extends ByteArrayOutputStream {
    public KeyBuffer(int capacity) {
        super(capacity);
    }

    @Override
    public void write(int b) {
        if (count == buf.length) {
            buf = Arrays.copyOf(buf, Math.max(16, buf.length * 2));
        }
        buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        if (count + length > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(count + length, buf.length * 2));
        }
        System.arraycopy(bytes, offset, buf, count, length);
        count += length;
    }

    @Override
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, count);
    }
}
