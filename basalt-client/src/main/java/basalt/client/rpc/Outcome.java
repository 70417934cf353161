package basalt.client.rpc;

import basalt.client.BasaltException;

/** What one attempt of a retried call came to. */
public sealed interface Outcome<T> {
    /** Finished: the call's answer. */
    record Done<T>(T value) implements Outcome<T> {}

    /** Try again at once (a leader hint to follow, another replica to try); bounded by {@link Retrier}. */
    record RetryNow<T>(String why) implements Outcome<T> {}

    /** Try again after a back-off (no leader yet, server busy or unreachable). */
    record RetryLater<T>(String why) implements Outcome<T> {}

    /** Stop: retrying would not help. */
    record Fail<T>(BasaltException error) implements Outcome<T> {}

    static <T> Outcome<T> done(T value) {
        return new Done<>(value);
    }

    static <T> Outcome<T> retryNow(String why) {
        return new RetryNow<>(why);
    }

    static <T> Outcome<T> retryLater(String why) {
        return new RetryLater<>(why);
    }

    static <T> Outcome<T> fail(BasaltException error) {
        return new Fail<>(error);
    }
}
