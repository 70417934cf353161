package basalt.cli;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGTERM and SIGINT run a clean stop once, and the process then exits 0. A plain shutdown hook would
 * leave the JVM's exit code at 143, which reads as a crash to the tools that start our servers.
 */
final class Signals {
    private Signals() {}

    @SuppressWarnings("restriction")
    static void onTerminate(Runnable stop) {
        AtomicBoolean once = new AtomicBoolean();
        sun.misc.SignalHandler handler = signal -> {
            if (once.compareAndSet(false, true)) {
                Thread stopper = new Thread(() -> {
                    try {
                        stop.run();
                    } finally {
                        System.exit(0);
                    }
                }, "stop-on-" + signal.getName());
                stopper.start();
            }
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
    }
}
