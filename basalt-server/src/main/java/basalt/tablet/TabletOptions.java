package basalt.tablet;

import basalt.common.check.Check;

/**
 * Per-tablet limits.
 *
 * @param maxCellBytes          largest STRING/BINARY cell a write may carry (default 64 KiB)
 * @param maxOperationsPerWrite most row operations in one WriteRequestPB; more refuses the request whole
 * @param defaultScanBatchRows  rows per scan batch when the request leaves batch_max_rows at 0
 * @param replayClientTtlMs     how long the outcomes of a client that sends no more writes are kept for its
 *                              retries (default 1 hour; far above any client deadline, which is what makes
 *                              forgetting them safe); 0 keeps them until the tablet is deleted
 */
public record TabletOptions(int maxCellBytes, int maxOperationsPerWrite, int defaultScanBatchRows,
                            long replayClientTtlMs) {
    public static final long DEFAULT_REPLAY_CLIENT_TTL_MS = 60 * 60 * 1000L;
    public static final TabletOptions DEFAULT = new TabletOptions(64 * 1024, 10_000, 1_000);

    public TabletOptions {
        Check.arg(maxCellBytes > 0 && maxOperationsPerWrite > 0 && defaultScanBatchRows > 0,
                "tablet limits must be positive: %s %s %s", maxCellBytes, maxOperationsPerWrite, defaultScanBatchRows);
        Check.arg(replayClientTtlMs >= 0, "replayClientTtlMs %s must be >= 0", replayClientTtlMs);
    }

    public TabletOptions(int maxCellBytes, int maxOperationsPerWrite, int defaultScanBatchRows) {
        this(maxCellBytes, maxOperationsPerWrite, defaultScanBatchRows, DEFAULT_REPLAY_CLIENT_TTL_MS);
    }

    public TabletOptions withReplayClientTtlMs(long ttlMs) {
        return new TabletOptions(maxCellBytes, maxOperationsPerWrite, defaultScanBatchRows, ttlMs);
    }
}
