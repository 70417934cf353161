package basalt.itest.cluster;

import basalt.common.check.Check;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One JVM child process, launched again and again with the same log file.
 *
 * <pre>
 * NOT_STARTED -> RUNNING : start(args)
 * RUNNING     -> PAUSED  : pause()   (SIGSTOP; the kernel still accepts connections, nothing answers)
 * PAUSED      -> RUNNING : resume()  (SIGCONT)
 * RUNNING|PAUSED -> EXITED : stop()  (SIGTERM, then SIGKILL past the deadline), kill() (SIGKILL),
 *                            or the process exits by itself
 * EXITED      -> RUNNING : start(args) again (a restart)
 * </pre>
 *
 * <p>stdout and stderr both go to {@link #logFile()}, appended across restarts with a header line per
 * launch. Every wait has a deadline. Signals are sent with {@link Process#destroy()} (SIGTERM on Linux),
 * {@link Process#destroyForcibly()} (SIGKILL on Linux; the exit code 137 = 128 + 9 shows it) and
 * {@code kill -STOP/-CONT <pid>}. Children still alive when the harness JVM exits are killed by a
 * shutdown hook, so an aborted test run leaves no servers behind.
 */
public final class ExternalProcess {
    /** Exit code of a JVM killed by SIGKILL (128 + 9). */
    public static final int EXIT_CODE_SIGKILL = 137;
    /** Exit code of a JVM that let SIGTERM end it without its own handler (128 + 15). */
    public static final int EXIT_CODE_SIGTERM = 143;

    private static final Duration SIGNAL_TOOL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "basalt-itest-kill-children"));
    }

    private final String name;
    private final JavaCommand command;
    private final Path logFile;

    // Changed only by start(); null before the first start. Guarded by this.
    private Process process;
    private List<String> lastArgs = List.of();
    // True between pause() and resume() of the current process. Guarded by this.
    private boolean paused;

    public ExternalProcess(String name, JavaCommand command, Path logFile) {
        this.name = name;
        this.command = command;
        this.logFile = logFile;
    }

    public String name() {
        return name;
    }

    public JavaCommand command() {
        return command;
    }

    public Path logFile() {
        return logFile;
    }

    /** The arguments of the last launch. */
    public synchronized List<String> lastArgs() {
        return lastArgs;
    }

    /** Launches the process with {@code args}; it must not be running. Does not wait for anything. */
    public synchronized void start(List<String> args) {
        Check.state(process == null || !process.isAlive(), "%s is already running (pid %s)", name, pidOrZero());
        List<String> commandLine = command.commandLine(args);
        try {
            Files.createDirectories(logFile.getParent());
            Files.writeString(logFile, "==== " + Instant.now() + " harness starts " + name + ": "
                            + String.join(" ", commandLine.subList(0, commandLine.size() - args.size() - 3))
                            + " -cp <classpath> " + command.mainClass() + " " + String.join(" ", args) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(commandLine)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (log " + logFile + ")", e);
        }
        Process launched = process; // not the field: a later restart replaces it before this one exits
        LIVE.add(launched);
        launched.onExit().thenRun(() -> LIVE.remove(launched));
        lastArgs = List.copyOf(args);
        paused = false;
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized boolean isPaused() {
        return paused && isAlive();
    }

    /** The pid of the current (or last) launch. */
    public synchronized long pid() {
        Check.state(process != null, "%s was never started", name);
        return process.pid();
    }

    private long pidOrZero() {
        return process == null ? 0 : process.pid();
    }

    /** The exit code of the last launch, empty while it runs or before the first start. */
    public synchronized OptionalInt exitCode() {
        if (process == null || process.isAlive()) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(process.exitValue());
    }

    /**
     * Asks the process to stop (SIGTERM) and waits up to {@code timeout}; past it, kills it (SIGKILL).
     * A paused process is resumed after the SIGTERM so it can act on it. Returns the exit code, which a
     * server that shuts down cleanly makes 0.
     */
    public int stop(Duration timeout) {
        Process current;
        boolean wasPaused;
        synchronized (this) {
            if (process == null) {
                return 0;
            }
            current = process;
            wasPaused = paused;
            paused = false;
        }
        if (current.isAlive()) {
            current.destroy();
            if (wasPaused) {
                signal(current.pid(), "CONT");
            }
            if (!waitFor(current, timeout)) {
                System.err.println("[basalt-itest] " + name + " (pid " + current.pid() + ") ignored SIGTERM for "
                        + timeout.toMillis() + " ms; sending SIGKILL");
                current.destroyForcibly();
                Check.state(waitFor(current, KILL_TIMEOUT), "%s (pid %s) survived SIGKILL", name, current.pid());
            }
        }
        return current.exitValue();
    }

    /** Kills the process at once (SIGKILL, like {@code kill -9}) and waits for it to be gone. Returns the exit code. */
    public int kill() {
        Process current;
        synchronized (this) {
            Check.state(process != null, "%s was never started", name);
            current = process;
            paused = false;
        }
        current.destroyForcibly();
        Check.state(waitFor(current, KILL_TIMEOUT), "%s (pid %s) survived SIGKILL", name, current.pid());
        return current.exitValue();
    }

    /** Freezes the process (SIGSTOP) and waits until the kernel reports it stopped. */
    public void pause() {
        long pid;
        synchronized (this) {
            Check.state(isAlive(), "%s is not running", name);
            pid = process.pid();
            paused = true;
        }
        signal(pid, "STOP");
        Poll.until(name + " (pid " + pid + ") to be stopped", SIGNAL_TOOL_TIMEOUT, () -> isStoppedByKernel(pid));
    }

    /** Lets a paused process run again (SIGCONT) and waits until the kernel reports it running. */
    public void resume() {
        long pid;
        synchronized (this) {
            Check.state(isAlive(), "%s is not running", name);
            pid = process.pid();
            paused = false;
        }
        signal(pid, "CONT");
        Poll.until(name + " (pid " + pid + ") to run again", SIGNAL_TOOL_TIMEOUT, () -> !isStoppedByKernel(pid));
    }

    /** Waits up to {@code timeout} for the process to exit by itself; true when it has. */
    public boolean waitForExit(Duration timeout) {
        Process current;
        synchronized (this) {
            if (process == null) {
                return true;
            }
            current = process;
        }
        return waitFor(current, timeout);
    }

    /** The last {@code lines} lines of the log, for failure messages. */
    public List<String> logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(cannot read " + logFile + ": " + e + ")");
        }
    }

    @Override
    public synchronized String toString() {
        return name + (process == null ? " (not started)" : " pid " + process.pid()
                + (process.isAlive() ? (paused ? " paused" : " running") : " exited " + process.exitValue()));
    }

    private static boolean waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for pid " + process.pid(), e);
        }
    }

    /** Sends a signal with the system's {@code kill}; Java has no API for STOP and CONT. */
    private static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectErrorStream(true).start();
            Check.state(waitFor(kill, SIGNAL_TOOL_TIMEOUT), "kill -%s %s did not finish", signal, pid);
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            Check.state(kill.exitValue() == 0, "kill -%s %s failed (%s): %s", signal, pid, kill.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " " + pid, e);
        }
    }

    /** Reads the state letter of /proc/<pid>/stat: 'T' is stopped by a signal. */
    static boolean isStoppedByKernel(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces; the state follows the last ')'.
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'T' || state == 't';
        } catch (IOException e) {
            return false; // gone: certainly not stopped
        }
    }
}
