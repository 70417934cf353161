package basalt.server.rpc;

import basalt.common.check.Check;
import java.time.Duration;

/**
 * Tunables of the gRPC consensus transport, validated in one place.
 *
 * @param maxInboundMessageBytes the largest gRPC message accepted (a batch, a tablet copy chunk)
 * @param inflightBytesMaxPerPeer encoded consensus messages queued for one peer and not yet handed to
 *     gRPC, at most; a message that would pass it is dropped and counted (Raft retries by itself)
 * @param batchBytesMax a batch is cut after this many bytes (it always holds at least one message)
 * @param unaryDeadline the deadline of every unary call this side makes
 * @param reconnectBackoffMin first delay before re-opening a failed stream; doubles per failure
 * @param reconnectBackoffMax the delay never grows past this (jitter: each delay is drawn from
 *     [delay/2, delay])
 * @param tabletCopyChunkBytes the data carried by one tablet copy chunk
 * @param tabletCopyBytesPerSecondMin the slowest transfer rate a tablet copy's deadline allows, on top
 *     of {@code unaryDeadline}
 */
public record TransportOptions(int maxInboundMessageBytes, long inflightBytesMaxPerPeer, long batchBytesMax,
                               Duration unaryDeadline, Duration reconnectBackoffMin, Duration reconnectBackoffMax,
                               int tabletCopyChunkBytes, long tabletCopyBytesPerSecondMin) {
    public static final TransportOptions DEFAULTS = new TransportOptions(64 << 20, 8L << 20, 4L << 20,
            Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofSeconds(2), 1 << 20, 4L << 20);

    public TransportOptions {
        Check.arg(maxInboundMessageBytes >= 1 << 16, "maxInboundMessageBytes %s must be >= 64 KiB", maxInboundMessageBytes);
        Check.arg(inflightBytesMaxPerPeer > 0, "inflightBytesMaxPerPeer %s must be positive", inflightBytesMaxPerPeer);
        Check.arg(batchBytesMax > 0 && batchBytesMax < maxInboundMessageBytes,
                "batchBytesMax %s must be positive and below maxInboundMessageBytes %s", batchBytesMax,
                maxInboundMessageBytes);
        Check.arg(!unaryDeadline.isNegative() && !unaryDeadline.isZero(), "unaryDeadline must be positive");
        Check.arg(!reconnectBackoffMin.isNegative() && !reconnectBackoffMin.isZero()
                && reconnectBackoffMin.compareTo(reconnectBackoffMax) <= 0,
                "need 0 < reconnectBackoffMin %s <= reconnectBackoffMax %s", reconnectBackoffMin, reconnectBackoffMax);
        Check.arg(tabletCopyChunkBytes > 0 && tabletCopyChunkBytes <= maxInboundMessageBytes / 2,
                "tabletCopyChunkBytes %s must be positive and at most half of maxInboundMessageBytes",
                tabletCopyChunkBytes);
        Check.arg(tabletCopyBytesPerSecondMin > 0, "tabletCopyBytesPerSecondMin must be positive");
    }

    public TransportOptions withInflightBytesMaxPerPeer(long bytes) {
        return new TransportOptions(maxInboundMessageBytes, bytes, Math.min(batchBytesMax, bytes), unaryDeadline,
                reconnectBackoffMin, reconnectBackoffMax, tabletCopyChunkBytes, tabletCopyBytesPerSecondMin);
    }

    public TransportOptions withTabletCopyChunkBytes(int bytes) {
        return new TransportOptions(maxInboundMessageBytes, inflightBytesMaxPerPeer, batchBytesMax, unaryDeadline,
                reconnectBackoffMin, reconnectBackoffMax, bytes, tabletCopyBytesPerSecondMin);
    }

    /** How long a tablet copy of {@code bytes} may take. */
    public Duration tabletCopyDeadline(long bytes) {
        return unaryDeadline.plusMillis(bytes * 1000 / tabletCopyBytesPerSecondMin);
    }
}
