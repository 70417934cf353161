package basalt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.proto.DataType;
import basalt.proto.TableRecordPB;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Goal: a tablet gets a second batch while the first is in flight exactly when no row is in both, never more
 * than the limit, and a batch that waited goes once the batch holding its row has finished.
 */
class InFlightBatchesTest {
    static final Schema SCHEMA = new Schema(List.of(ColumnSchema.key("host", DataType.STRING),
            ColumnSchema.key("id", DataType.INT64), ColumnSchema.nullable("v", DataType.STRING)));
    static final BasaltTable TABLE = new BasaltTable(null, TableRecordPB.newBuilder().setTableId("t-id").setName("t")
            .setSchema(SCHEMA.toPB()).build());

    static Operation upsert(String host, long id) {
        Operation operation = TABLE.newUpsert();
        operation.row().addString("host", host).addLong("id", id).addString("v", host + id);
        return operation;
    }

    static List<Operation> upserts(String host, long fromId, long toId) {
        return new ArrayList<>(LongStream.range(fromId, toId).mapToObj(id -> upsert(host, id)).toList());
    }

    @Test
    void batchesOfNewKeysGoTogetherUpToTheLimit() {
        InFlightBatches inFlight = new InFlightBatches(2);

        assertThat(inFlight.tryStart(upserts("a", 0, 100))).isPresent();
        assertThat(inFlight.tryStart(upserts("a", 100, 200))).isPresent();
        assertThat(inFlight.count()).isEqualTo(2);
        // At the limit even new keys wait.
        assertThat(inFlight.tryStart(upserts("a", 200, 300))).isEmpty();
        assertThat(inFlight.peak()).isEqualTo(2);
    }

    @Test
    void aBatchSharingOneRowWithABatchInFlightWaitsUntilThatBatchFinishes() {
        InFlightBatches inFlight = new InFlightBatches(3);
        List<ByteString> first = inFlight.tryStart(upserts("a", 0, 100)).orElseThrow();

        List<Operation> overlapping = upserts("b", 0, 99);
        overlapping.add(upsert("a", 42));
        assertThat(inFlight.tryStart(overlapping)).isEmpty();
        assertThat(inFlight.count()).isEqualTo(1);

        inFlight.finished(first);
        assertThat(inFlight.tryStart(overlapping)).isPresent();
        assertThat(inFlight.peak()).isEqualTo(1);
    }

    @Test
    void keysCompareWholeCompositeKeysNotParts() {
        InFlightBatches inFlight = new InFlightBatches(2);
        inFlight.tryStart(List.of(upsert("a", 1)));
        // Same id under another host, and a host that is a prefix of another: different rows.
        assertThat(inFlight.tryStart(List.of(upsert("b", 1), upsert("", 1), upsert("a\0", 1)))).isPresent();
    }

    @Test
    void finishingABatchFreesOnlyItsOwnKeys() {
        InFlightBatches inFlight = new InFlightBatches(3);
        List<ByteString> first = inFlight.tryStart(upserts("a", 0, 10)).orElseThrow();
        // A row twice in one batch is allowed; the batch keeps their order itself.
        List<Operation> withRepeat = upserts("b", 0, 10);
        withRepeat.add(upsert("b", 3));
        List<ByteString> second = inFlight.tryStart(withRepeat).orElseThrow();

        inFlight.finished(second);
        assertThat(inFlight.tryStart(List.of(upsert("b", 3)))).isPresent();
        assertThat(inFlight.tryStart(List.of(upsert("a", 3)))).as("batch 1 still holds a3").isEmpty();
        inFlight.finished(first);
        assertThat(inFlight.tryStart(List.of(upsert("a", 3)))).isPresent();
    }

    @Test
    void withOneBatchInFlightNothingElseGoes() {
        InFlightBatches inFlight = new InFlightBatches(1);
        List<ByteString> only = inFlight.tryStart(upserts("a", 0, 10)).orElseThrow();
        assertThat(only).as("no key kept when none is ever compared").isEmpty();
        assertThat(inFlight.tryStart(upserts("z", 0, 10))).isEmpty();
        inFlight.finished(only);
        assertThat(inFlight.tryStart(upserts("z", 0, 10))).isPresent();
    }

    @Test
    void badLimitsAndUnbalancedFinishesFailClearly() {
        assertThatThrownBy(() -> new InFlightBatches(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1 batch");
        assertThatThrownBy(() -> new InFlightBatches(2).finished(List.of())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("none in flight");
    }
}
