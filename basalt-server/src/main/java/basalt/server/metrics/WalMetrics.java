package basalt.server.metrics;

import basalt.consensus.wal.WalListener;

/** The WAL metrics of a server, summed over every WAL it hosts; installed on its driver pool. */
public final class WalMetrics implements WalListener {
    private final Histogram fsyncSeconds;
    private final Counter bytesWritten;

    public WalMetrics(MetricRegistry registry) {
        this.fsyncSeconds = registry.histogram("basalt_wal_fsync_seconds",
                "Duration of each group-commit fsync of WAL segment data.", Histogram.LATENCY_SECONDS);
        this.bytesWritten = registry.counter("basalt_wal_bytes_written_total",
                "Bytes of WAL records written to segment files.");
    }

    @Override
    public void fsynced(long nanos) {
        fsyncSeconds.observeNanos(nanos);
    }

    @Override
    public void wrote(long bytes) {
        bytesWritten.add(bytes);
    }
}
