package basalt.client.meta;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.common.net.HostPort;
import basalt.proto.PartitionPB;
import basalt.proto.TableRecordPB;
import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TableLocationsTest {
    static final ByteString M = ByteString.copyFromUtf8("m");

    static TabletLocation tablet(String id, int bucket, ByteString lower, ByteString upper) {
        return new TabletLocation(id, PartitionPB.newBuilder().setHashBucket(bucket).setRangeLower(lower)
                .setRangeUpper(upper).build(), List.of(
                new TabletLocation.Replica("a", Optional.of(new HostPort("127.0.0.1", 1)), false),
                new TabletLocation.Replica("b", Optional.of(new HostPort("127.0.0.1", 2)), true),
                new TabletLocation.Replica("c", Optional.empty(), false)));
    }

    /** 2 buckets x 2 ranges split at "m": each (bucket, key) has exactly one tablet; lower bound inclusive. */
    @Test
    void routesByBucketAndRangeWithInclusiveLowerBound() {
        TableLocations locations = new TableLocations(TableRecordPB.newBuilder().setTableId("t").build(), List.of(
                tablet("b1-high", 1, M, ByteString.EMPTY), tablet("b0-low", 0, ByteString.EMPTY, M),
                tablet("b1-low", 1, ByteString.EMPTY, M), tablet("b0-high", 0, M, ByteString.EMPTY)));
        assertThat(locations.tabletFor(0, ByteString.copyFromUtf8("a")).orElseThrow().tabletId()).isEqualTo("b0-low");
        assertThat(locations.tabletFor(0, M).orElseThrow().tabletId()).isEqualTo("b0-high");
        assertThat(locations.tabletFor(1, ByteString.copyFromUtf8("l\u00ff")).orElseThrow().tabletId()).isEqualTo("b1-low");
        assertThat(locations.tabletFor(1, ByteString.copyFromUtf8("z")).orElseThrow().tabletId()).isEqualTo("b1-high");
        assertThat(locations.tabletFor(2, M)).isEmpty();
        assertThat(locations.tablets()).extracting(TabletLocation::tabletId)
                .containsExactly("b0-low", "b0-high", "b1-low", "b1-high");
    }

    /** Range bounds compare as unsigned bytes: 0xFF sorts after 'm', not before (Java bytes are signed). */
    @Test
    void rangeBoundsCompareUnsigned() {
        TableLocations locations = new TableLocations(TableRecordPB.getDefaultInstance(), List.of(
                tablet("low", 0, ByteString.EMPTY, M), tablet("high", 0, M, ByteString.EMPTY)));
        assertThat(locations.tabletFor(0, ByteString.copyFrom(new byte[] {(byte) 0xFF})).orElseThrow().tabletId())
                .isEqualTo("high");
    }

    /** The master's LEADER is the first guess; a failure of another replica does not erase a newer guess. */
    @Test
    void leaderGuessStartsAtTheMastersLeaderAndFollowsWhatCallsLearn() {
        TabletLocation tablet = tablet("t", 0, ByteString.EMPTY, ByteString.EMPTY);
        HostPort a = new HostPort("127.0.0.1", 1);
        HostPort b = new HostPort("127.0.0.1", 2);
        assertThat(tablet.leaderGuess()).contains(b);
        assertThat(tablet.addresses()).containsExactly(a, b);
        tablet.leaderIs(a);
        tablet.leaderFailed(b);
        assertThat(tablet.leaderGuess()).contains(a);
        tablet.leaderFailed(a);
        assertThat(tablet.leaderGuess()).isEmpty();
    }
}
