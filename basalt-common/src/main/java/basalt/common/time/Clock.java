package basalt.common.time;

/** Time, passed in rather than reached for, so tests and the simulator can control it. */
public interface Clock {
    long monotonicNanos();

    long wallMillis();

    /** Microseconds since the Unix epoch. */
    default long wallMicros() {
        return wallMillis() * 1000;
    }

    Clock SYSTEM = new Clock() {
        @Override
        public long monotonicNanos() {
            return System.nanoTime();
        }

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public long wallMicros() {
            java.time.Instant now = java.time.Instant.now();
            return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
        }
    };
}
