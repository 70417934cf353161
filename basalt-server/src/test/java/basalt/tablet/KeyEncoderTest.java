package basalt.tablet;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.DataType;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Goal: memcmp order of encoded keys is the tuple order of {@link Values#compare}, for every type and for
 * composite keys, and decoding inverts encoding. Method: random tuples of random types compared both ways.
 */
class KeyEncoderTest {
    record Tuples(List<DataType> types, Object[] a, Object[] b) {
        @Override
        public String toString() {
            return types + " " + Arrays.toString(a) + " vs " + Arrays.toString(b);
        }
    }

    static final List<DataType> TYPES = List.of(DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64,
            DataType.BOOL, DataType.FLOAT, DataType.DOUBLE, DataType.STRING, DataType.BINARY, DataType.TIMESTAMP);

    static Arbitrary<Object> cell(DataType type) {
        return switch (type) {
            case INT8 -> Arbitraries.longs().between(Byte.MIN_VALUE, Byte.MAX_VALUE).map(v -> v);
            case INT16 -> Arbitraries.longs().between(Short.MIN_VALUE, Short.MAX_VALUE).map(v -> v);
            case INT32 -> Arbitraries.longs().between(Integer.MIN_VALUE, Integer.MAX_VALUE).map(v -> v);
            case INT64, TIMESTAMP -> Arbitraries.longs().edgeCases(e -> e.includeOnly(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE)).map(v -> v);
            case BOOL -> Arbitraries.of(false, true).map(v -> v);
            case FLOAT -> Arbitraries.oneOf(Arbitraries.floats(), Arbitraries.of(-0.0f, 0.0f, Float.NaN,
                    Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY)).map(v -> v);
            case DOUBLE -> Arbitraries.oneOf(Arbitraries.doubles(), Arbitraries.of(-0.0, 0.0, Double.NaN,
                    Double.NEGATIVE_INFINITY, Double.MIN_VALUE)).map(v -> v);
            // small alphabets with 0x00 and 0x01 make prefixes and escapes common
            case STRING -> Arbitraries.strings().withChars('\0', '\1', 'a', 'b', 'é', '\uD83D').ofMaxLength(4)
                    .map(s -> (Object) new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
            case BINARY -> Arbitraries.bytes().between((byte) -1, (byte) 1).array(byte[].class).ofMaxSize(4)
                    .map(bytes -> (Object) ByteString.copyFrom(bytes));
            default -> throw new IllegalArgumentException();
        };
    }

    @Provide
    Arbitrary<Tuples> tuples() {
        return Arbitraries.of(TYPES).list().ofMinSize(1).ofMaxSize(3).flatMap(types -> {
            List<Arbitrary<Object>> cells = new ArrayList<>();
            types.forEach(type -> cells.add(cell(type)));
            Arbitrary<Object[]> tuple = Combinators.combine(cells).as(List::toArray);
            return Combinators.combine(tuple, tuple).as((a, b) -> new Tuples(types, a, b));
        });
    }

    static int compareTuples(List<DataType> types, Object[] a, Object[] b) {
        for (int i = 0; i < types.size(); i++) {
            int order = Values.compare(types.get(i), a[i], b[i]);
            if (order != 0) {
                return order;
            }
        }
        return 0;
    }

    @Property(tries = 2000)
    void byteOrderIsTupleOrder(@ForAll("tuples") Tuples t) {
        int expected = Integer.signum(compareTuples(t.types(), t.a(), t.b()));
        int actual = Integer.signum(Arrays.compareUnsigned(KeyEncoder.encode(t.types(), t.a()),
                KeyEncoder.encode(t.types(), t.b())));
        assertThat(actual).isEqualTo(expected);
    }

    @Property(tries = 1000)
    void decodeInvertsEncode(@ForAll("tuples") Tuples t) {
        Object[] decoded = KeyEncoder.decode(t.types(), KeyEncoder.encode(t.types(), t.a()));
        assertThat(compareTuples(t.types(), decoded, t.a())).isZero();
        assertThat(decoded).isEqualTo(t.a());
    }

    @Test
    void prefixOfAStringSortsFirstEvenBeforeAnEmbeddedZero() {
        List<DataType> types = List.of(DataType.STRING, DataType.INT8);
        byte[] shortKey = KeyEncoder.encode(types, new Object[] {"a", 127L});
        byte[] withZero = KeyEncoder.encode(types, new Object[] {"a\0", -128L});
        byte[] longer = KeyEncoder.encode(types, new Object[] {"ab", -128L});
        assertThat(Arrays.compareUnsigned(shortKey, withZero)).isNegative();
        assertThat(Arrays.compareUnsigned(withZero, longer)).isNegative();
    }
}
