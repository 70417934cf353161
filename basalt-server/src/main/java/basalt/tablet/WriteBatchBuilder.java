package basalt.tablet;

import basalt.common.bytes.Varints;
import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.WriteBatch;

/**
 * A RocksDB {@link WriteBatch} of puts and deletes, built in Java and handed to
 * RocksDB in one call. {@code WriteBatch.put} is a JNI call per row that copies key and value into native
 * buffers of their own; apply writes a thousand rows per entry on every replica, so it builds the batch's
 * serialized form here instead (RocksDB's {@code WriteBatch::rep_}, which {@code new WriteBatch(byte[])}
 * takes as is):
 *
 * <pre>
 * rep    := sequence (fixed64, 0: set by the write), count (fixed32), record*     (little-endian)
 * record := 0x01 (kTypeValue) varstring key, varstring value  |  0x00 (kTypeDeletion) varstring key     (default family)
 *         |  0x05 (kTypeColumnFamilyValue) varint32 family id, varstring key, varstring value
 *         |  0x04 (kTypeColumnFamilyDeletion) varint32 family id, varstring key
 * varstring := varint32 length, bytes
 * </pre>
 * A test checks these bytes against those RocksDB itself builds, so a change of format in a new RocksDB
 * fails there rather than in a replica.
 */
final class WriteBatchBuilder {
    private static final int HEADER_BYTES = 12;
    private static final byte TYPE_VALUE = 0x01;
    private static final byte TYPE_DELETION = 0x00;
    private static final byte TYPE_FAMILY_VALUE = 0x05;
    private static final byte TYPE_FAMILY_DELETION = 0x04;

    private byte[] rep;
    private int length = HEADER_BYTES;
    private int count;

    WriteBatchBuilder(int expectedBytes) {
        rep = new byte[Math.max(64, HEADER_BYTES + expectedBytes)];
    }

    void put(byte[] key, byte[] value) {
        ensure(1 + 5 + key.length + 5 + value.length);
        rep[length++] = TYPE_VALUE;
        putBytes(key);
        putBytes(value);
        count++;
    }

    /** A put in a column family (the default family, id 0, takes the shorter record, as RocksDB writes it). */
    void put(ColumnFamilyHandle family, byte[] key, byte[] value) {
        int id = family.getID();
        if (id == 0) {
            put(key, value);
            return;
        }
        ensure(1 + 5 + 5 + key.length + 5 + value.length);
        rep[length++] = TYPE_FAMILY_VALUE;
        length = Varints.put(rep, length, id);
        putBytes(key);
        putBytes(value);
        count++;
    }

    void delete(ColumnFamilyHandle family, byte[] key) {
        int id = family.getID();
        if (id == 0) {
            delete(key);
            return;
        }
        ensure(1 + 5 + 5 + key.length);
        rep[length++] = TYPE_FAMILY_DELETION;
        length = Varints.put(rep, length, id);
        putBytes(key);
        count++;
    }

    void delete(byte[] key) {
        ensure(1 + 5 + key.length);
        rep[length++] = TYPE_DELETION;
        putBytes(key);
        count++;
    }

    int count() {
        return count;
    }

    /** The batch; the caller closes it. */
    WriteBatch build() {
        return new WriteBatch(serialized());
    }

    /** RocksDB's serialized form of the batch. */
    byte[] serialized() {
        byte[] bytes = Arrays.copyOf(rep, length);
        for (int i = 0; i < 4; i++) {
            bytes[8 + i] = (byte) (count >>> (8 * i));
        }
        return bytes;
    }

    private void putBytes(byte[] bytes) {
        length = Varints.put(rep, length, bytes.length);
        System.arraycopy(bytes, 0, rep, length, bytes.length);
        length += bytes.length;
    }

    private void ensure(long more) {
        if (length + more > rep.length) {
            long wanted = Math.max((long) rep.length * 2, length + more);
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("a write batch of " + wanted + " bytes is too large");
            }
            rep = Arrays.copyOf(rep, (int) wanted);
        }
    }
}
