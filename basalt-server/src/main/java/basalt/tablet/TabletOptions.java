package basalt.tablet;

import basalt.common.check.Check;

/**
 * Per-tablet limits.
 *
 * @param maxCellBytes          largest STRING/BINARY cell a write may carry (default 64 KiB)
 * @param maxOperationsPerWrite most row operations in one WriteRequestPB; more refuses the request whole
 * @param defaultScanBatchRows  rows per scan batch when the request leaves batch_max_rows at 0
 */
public record TabletOptions(int maxCellBytes, int maxOperationsPerWrite, int defaultScanBatchRows) {
    public static final TabletOptions DEFAULT = new TabletOptions(64 * 1024, 10_000, 1_000);

    public TabletOptions {
        Check.arg(maxCellBytes > 0 && maxOperationsPerWrite > 0 && defaultScanBatchRows > 0,
                "tablet limits must be positive: %s %s %s", maxCellBytes, maxOperationsPerWrite, defaultScanBatchRows);
    }
}
