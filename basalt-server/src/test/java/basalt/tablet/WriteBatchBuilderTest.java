package basalt.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;

/**
 * Goal: a batch built in Java is byte for byte the batch RocksDB builds from the same puts and deletes, so
 * apply may hand RocksDB either; and RocksDB applies it.
 */
class WriteBatchBuilderTest {
    static {
        RocksDB.loadLibrary();
    }

    /** A put (value not null) or a delete (value null). */
    record Op(byte[] key, byte[] value) {}

    @Property(tries = 200)
    void theSerializedBatchIsTheOneRocksDbBuilds(@ForAll("ops") List<Op> ops) throws Exception {
        WriteBatchBuilder builder = new WriteBatchBuilder(16);
        try (WriteBatch reference = new WriteBatch()) {
            for (Op op : ops) {
                if (op.value() == null) {
                    builder.delete(op.key());
                    reference.delete(op.key());
                } else {
                    builder.put(op.key(), op.value());
                    reference.put(op.key(), op.value());
                }
            }
            assertThat(builder.serialized()).isEqualTo(reference.data());
            try (WriteBatch built = builder.build()) {
                assertThat(built.count()).isEqualTo(ops.size());
                assertThat(built.data()).isEqualTo(reference.data());
            }
        }
    }

    @Test
    void rocksDbAppliesABuiltBatchInEitherFamilyAsItWouldItsOwn(@TempDir Path dir) throws Exception {
        try (TabletStore store = TabletStore.open(dir); WriteBatch reference = new WriteBatch()) {
            WriteBatchBuilder builder = new WriteBatchBuilder(0);
            builder.put(new byte[] {9, 1}, "one".getBytes());
            reference.put(new byte[] {9, 1}, "one".getBytes());
            builder.put(store.meta(), new byte[] {9, 2}, new byte[300]);
            reference.put(store.meta(), new byte[] {9, 2}, new byte[300]);
            builder.put(store.meta(), new byte[] {9, 3}, new byte[0]);
            reference.put(store.meta(), new byte[] {9, 3}, new byte[0]);
            builder.delete(new byte[] {9, 1});
            reference.delete(new byte[] {9, 1});
            builder.delete(store.meta(), new byte[] {9, 3});
            reference.delete(store.meta(), new byte[] {9, 3});

            assertThat(builder.serialized()).isEqualTo(reference.data());
            try (WriteBatch batch = builder.build()) {
                store.write(batch);
            }
            assertThat(store.db().get(new byte[] {9, 1})).isNull();
            assertThat(store.db().get(store.meta(), new byte[] {9, 2})).hasSize(300);
            assertThat(store.db().get(new byte[] {9, 2})).as("not in the default family").isNull();
            assertThat(store.db().get(store.meta(), new byte[] {9, 3})).isNull();
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<byte[]> keys = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300);
        Arbitrary<byte[]> values = Arbitraries.bytes().array(byte[].class).ofMaxSize(20_000).injectNull(0.2);
        return keys.flatMap(key -> values.map(value -> new Op(key, value))).list().ofMaxSize(40);
    }
}
