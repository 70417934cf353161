package basalt.client;

import basalt.common.net.HostPort;
import java.time.Duration;
import java.util.List;

/**
 * A client's settings, validated once: the masters it starts from, the default deadline of every
 * operation, the longest one attempt (one RPC) may take before it is retried, and the number of threads
 * that run back-off timers and background flushes.
 */
record ClientOptions(List<HostPort> masters, Duration operationTimeout, Duration attemptTimeout, int workerThreads) {
    static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
    static final int DEFAULT_WORKER_THREADS = 2;

    ClientOptions {
        if (masters.isEmpty()) {
            throw new IllegalArgumentException("at least one master address is needed");
        }
        if (operationTimeout.isNegative() || operationTimeout.isZero()) {
            throw new IllegalArgumentException("the operation timeout must be positive, got " + operationTimeout);
        }
        if (attemptTimeout.isNegative() || attemptTimeout.isZero()) {
            throw new IllegalArgumentException("the attempt timeout must be positive, got " + attemptTimeout);
        }
        if (workerThreads < 1) {
            throw new IllegalArgumentException("at least 1 worker thread, got " + workerThreads);
        }
        masters = List.copyOf(masters);
    }
}
