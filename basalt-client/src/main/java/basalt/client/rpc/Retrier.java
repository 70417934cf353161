package basalt.client.rpc;

import basalt.client.BasaltException;
import basalt.proto.Code;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs the attempts of one call until one is final or the deadline passes, without blocking a thread:
 * a {@link Outcome.RetryLater} schedules the next attempt after a jittered back-off, a
 * {@link Outcome.RetryNow} starts it at once. At most {@link #MAX_IMMEDIATE_RETRIES} immediate retries in a
 * row (two servers naming each other as leader must not spin); after that they back off too. When the
 * deadline passes the call fails with TIMED_OUT, naming the last reason it retried.
 */
public final class Retrier {
    static final int MAX_IMMEDIATE_RETRIES = 3;

    private final ScheduledExecutorService scheduler;
    private final Backoff backoff;
    private final java.util.concurrent.atomic.LongAdder retries = new java.util.concurrent.atomic.LongAdder();

    public Retrier(ScheduledExecutorService scheduler, Backoff backoff) {
        this.scheduler = scheduler;
        this.backoff = backoff;
    }

    /** Attempts started again after one that should be retried (leader moved, server busy or unreachable). */
    public long retries() {
        return retries.sum();
    }

    public <T> CompletableFuture<T> run(String what, Deadline deadline, Supplier<CompletableFuture<Outcome<T>>> attempt) {
        CompletableFuture<T> result = new CompletableFuture<>();
        new Loop<>(what, deadline, attempt, result).next();
        return result;
    }

    private final class Loop<T> {
        private final String what;
        private final Deadline deadline;
        private final Supplier<CompletableFuture<Outcome<T>>> attempt;
        private final CompletableFuture<T> result;
        private int backoffs;
        private int immediateInARow;
        private String lastReason = "no attempt finished";

        Loop(String what, Deadline deadline, Supplier<CompletableFuture<Outcome<T>>> attempt, CompletableFuture<T> result) {
            this.what = what;
            this.deadline = deadline;
            this.attempt = attempt;
            this.result = result;
        }

        void next() {
            if (deadline.expired()) {
                result.completeExceptionally(new BasaltException(Code.TIMED_OUT,
                        what + " timed out after " + deadline.timeout() + "; last: " + lastReason));
                return;
            }
            CompletableFuture<Outcome<T>> running;
            try {
                running = attempt.get();
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                return;
            }
            running.whenComplete((outcome, failure) -> {
                if (failure != null) {
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    result.completeExceptionally(cause);
                    return;
                }
                switch (outcome) {
                    case Outcome.Done<T> done -> result.complete(done.value());
                    case Outcome.Fail<T> fail -> result.completeExceptionally(fail.error());
                    case Outcome.RetryNow<T> now -> {
                        retries.increment();
                        lastReason = now.why();
                        if (++immediateInARow <= MAX_IMMEDIATE_RETRIES) {
                            next();
                        } else {
                            later();
                        }
                    }
                    case Outcome.RetryLater<T> later -> {
                        retries.increment();
                        lastReason = later.why();
                        later();
                    }
                }
            });
        }

        private void later() {
            immediateInARow = 0;
            long delayMs = Math.min(backoff.delayMillis(backoffs++), Math.max(0, deadline.remainingMillis()));
            try {
                scheduler.schedule(this::next, delayMs, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                result.completeExceptionally(new BasaltException(Code.SERVICE_UNAVAILABLE,
                        what + ": the client is closed; last: " + lastReason));
            }
        }
    }
}
