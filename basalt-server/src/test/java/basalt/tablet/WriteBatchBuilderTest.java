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

    /**
     * Tablets' rows go to families of their own, whose ids grow past 127 (a two-byte varint) on a server
     * that created more than a hundred tablets.
     */
    @Test
    void batchesForTabletFamiliesAreTheOnesRocksDbBuildsWhateverTheFamilyId(@TempDir Path dir) throws Exception {
        List<org.rocksdb.ColumnFamilyDescriptor> descriptors = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            descriptors.add(new org.rocksdb.ColumnFamilyDescriptor(("t-" + i).getBytes()));
        }
        try (org.rocksdb.Options options = new org.rocksdb.Options().setCreateIfMissing(true);
             RocksDB db = RocksDB.open(options, dir.toString());
             org.rocksdb.WriteOptions write = new org.rocksdb.WriteOptions()) {
            List<org.rocksdb.ColumnFamilyHandle> families = db.createColumnFamilies(descriptors);
            try {
                for (org.rocksdb.ColumnFamilyHandle family : List.of(families.get(0), families.get(199))) {
                    WriteBatchBuilder builder = new WriteBatchBuilder(0);
                    try (WriteBatch reference = new WriteBatch()) {
                        builder.put(family, new byte[] {2, 1}, "row".getBytes());
                        reference.put(family, new byte[] {2, 1}, "row".getBytes());
                        builder.put(family, new byte[] {2, 2}, new byte[200]);
                        reference.put(family, new byte[] {2, 2}, new byte[200]);
                        builder.delete(family, new byte[] {2, 2});
                        reference.delete(family, new byte[] {2, 2});
                        assertThat(builder.serialized()).as("family id %s", family.getID()).isEqualTo(reference.data());
                    }
                    try (WriteBatch batch = builder.build()) {
                        db.write(write, batch);
                    }
                    assertThat(db.get(family, new byte[] {2, 1})).isEqualTo("row".getBytes());
                    assertThat(db.get(family, new byte[] {2, 2})).isNull();
                    assertThat(db.get(new byte[] {2, 1})).as("not in the default family").isNull();
                }
                assertThat(families.get(199).getID()).isGreaterThan(127);
            } finally {
                families.forEach(org.rocksdb.ColumnFamilyHandle::close);
            }
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<byte[]> keys = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300);
        Arbitrary<byte[]> values = Arbitraries.bytes().array(byte[].class).ofMaxSize(20_000).injectNull(0.2);
        return keys.flatMap(key -> values.map(value -> new Op(key, value))).list().ofMaxSize(40);
    }
}
