package basalt.server.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.Membership;
import basalt.consensus.core.Message;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.OpId;
import basalt.proto.ConsensusMessagePB;
import basalt.proto.EntryPB;
import basalt.proto.MembershipPB;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Goal: every consensus message survives encode, wire bytes, decode unchanged, and malformed input is
 * refused with an IllegalArgumentException that says what is wrong. Method: a table with one case per
 * message type (edge values included), a property over append requests, and hand-made bad protos.
 */
class ProtoCodecTest {
    private static final NodeId A = NodeId.of("uuid-a");
    private static final NodeId B = NodeId.of("uuid-b");

    record Case(String name, Message message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> everyMessageType() {
        List<Entry> entries = List.of(
                new Entry(new OpId(3, 8), EntryType.NO_OP, ByteString.EMPTY),
                new Entry(new OpId(3, 9), EntryType.NORMAL, ByteString.copyFromUtf8("k=v")),
                new Entry(new OpId(3, 10), EntryType.CONFIG, Membership.ofVoters(A, B).encode()));
        return Stream.of(
                new Case("append request with entries", new Message.AppendRequest(A, B, 3, new OpId(2, 7), entries, 6)),
                new Case("heartbeat (append with no entries)", new Message.AppendRequest(A, B, 3, OpId.ZERO, List.of(), 0)),
                new Case("append accepted", Message.AppendResponse.accepted(B, A, 3, 10)),
                new Case("append rejected with hint", new Message.AppendResponse(B, A, 3, false, 0, 7, 5, 2, 4)),
                new Case("vote request", new Message.VoteRequest(A, B, 4, new OpId(3, 10), false)),
                new Case("vote request for a transfer", new Message.VoteRequest(A, B, 4, new OpId(3, 10), true)),
                new Case("vote granted", new Message.VoteResponse(B, A, 4, true)),
                new Case("vote refused", new Message.VoteResponse(B, A, 4, false)),
                new Case("pre-vote request", new Message.PreVoteRequest(A, B, 3, 4, new OpId(3, 10))),
                new Case("pre-vote response", new Message.PreVoteResponse(B, A, 3, 4, true)),
                new Case("timeout now", new Message.TimeoutNow(A, B, Long.MAX_VALUE)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyMessageType")
    void roundTrip(Case c) throws Exception {
        ConsensusMessagePB pb = ProtoCodec.encode("tablet-7", c.message());
        ConsensusMessagePB parsed = ConsensusMessagePB.parseFrom(pb.toByteString());
        assertThat(parsed.getGroupId()).isEqualTo("tablet-7");
        assertThat(ProtoCodec.decode(parsed)).isEqualTo(c.message());
    }

    /** Goal: any append request round-trips, whatever its entries and positions. */
    @Property(tries = 200)
    void appendRequestsRoundTrip(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 2) long term,
                                 @ForAll @LongRange(min = 0, max = 1L << 40) long prevIndex,
                                 @ForAll @IntRange(min = 1, max = 3) int typeCode,
                                 @ForAll @Size(max = 20) List<byte[]> payloads) throws Exception {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < payloads.size(); i++) {
            entries.add(new Entry(new OpId(term, prevIndex + 1 + i), EntryType.fromCode(typeCode),
                    ByteString.copyFrom(payloads.get(i))));
        }
        Message message = new Message.AppendRequest(A, B, term, new OpId(term, prevIndex), entries, prevIndex);
        ConsensusMessagePB wire = ConsensusMessagePB.parseFrom(ProtoCodec.encode("g", message).toByteArray());
        assertThat(ProtoCodec.decode(wire)).isEqualTo(message);
    }

    /** Goal: encoding shares the payload's bytes rather than copying them. */
    @Test
    void payloadIsNotCopied() {
        ByteString payload = ByteString.copyFromUtf8("x".repeat(1000));
        Entry entry = new Entry(new OpId(1, 1), EntryType.NORMAL, payload);
        assertThat(ProtoCodec.encode(entry).getPayload()).isSameAs(payload);
        EntryPB pb = ProtoCodec.encode(entry);
        assertThat(ProtoCodec.decode(pb).payload()).isSameAs(pb.getPayload());
    }

    @Test
    void membershipAndConfigRoundTrip() {
        Membership membership = new Membership(new TreeSet<>(List.of(A, B)), new TreeSet<>(List.of(NodeId.of("c"))));
        assertThat(ProtoCodec.decode(ProtoCodec.encode(membership))).isEqualTo(membership);
        assertThat(ProtoCodec.decodeConfig(12, ProtoCodec.encode(membership))).isEqualTo(new ConfigAt(12, membership));
        assertThat(ProtoCodec.decode(ProtoCodec.encode(new OpId(5, 6)))).isEqualTo(new OpId(5, 6));
    }

    @Test
    void missingBodyIsRefused() {
        ConsensusMessagePB pb = ConsensusMessagePB.newBuilder().setGroupId("g").setFrom("a").setTo("b").setTerm(1).build();
        assertThatThrownBy(() -> ProtoCodec.decode(pb))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no body");
    }

    @Test
    void unknownEntryTypeIsRefused() {
        EntryPB pb = EntryPB.newBuilder().setTerm(1).setIndex(2).setType(42).build();
        assertThatThrownBy(() -> ProtoCodec.decode(pb))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown entry type code 42");
    }

    @Test
    void blankSenderAndBadPositionsAreRefused() {
        ConsensusMessagePB noSender = ProtoCodec.encode("g", new Message.TimeoutNow(A, B, 1)).toBuilder().setFrom("").build();
        assertThatThrownBy(() -> ProtoCodec.decode(noSender))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank 'from'");
        EntryPB zeroIndex = EntryPB.newBuilder().setTerm(1).setIndex(0).setType(2).build();
        assertThatThrownBy(() -> ProtoCodec.decode(zeroIndex)).isInstanceOf(IllegalArgumentException.class);
        MembershipPB both = MembershipPB.newBuilder().addVoters("a").addLearners("a").build();
        assertThatThrownBy(() -> ProtoCodec.decode(both))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both voter and learner");
    }
}
