package basalt.server.web;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last lines this process logged, for the web UI's log page. One per process, like the logging
 * backend that feeds it (basalt-cli's logging setup appends every formatted line); bounded, so a chatty
 * server costs a fixed amount of memory.
 */
public final class RecentLogLines {
    public static final int DEFAULT_CAPACITY = 1000;
    private static final RecentLogLines SHARED = new RecentLogLines(DEFAULT_CAPACITY);

    private final int capacity;
    private final ArrayDeque<String> lines;
    private long appended;

    public RecentLogLines(int capacity) {
        basalt.common.check.Check.arg(capacity >= 1, "capacity %s must be >= 1", capacity);
        this.capacity = capacity;
        this.lines = new ArrayDeque<>(capacity);
    }

    /** The process's ring, fed by the logging backend when it was set up by {@code basalt}. */
    public static RecentLogLines shared() {
        return SHARED;
    }

    public synchronized void append(String line) {
        if (lines.size() == capacity) {
            lines.pollFirst();
        }
        lines.addLast(line);
        appended++;
    }

    /** Oldest first. */
    public synchronized List<String> snapshot() {
        return new ArrayList<>(lines);
    }

    /** Lines appended since the process started, kept or not. */
    public synchronized long appended() {
        return appended;
    }
}
