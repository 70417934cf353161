package basalt.cli;

import basalt.server.web.RecentLogLines;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.ConsoleHandler;
import java.util.logging.FileHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The process's logging, on java.util.logging (slf4j-jdk14 routes the code's slf4j calls here): one line
 * per record, to stderr, and for a server also to {@code <fs_data_dir>/logs/basalt-<kind>.log} and the
 * web UI's ring of recent lines. The log file is appended to across restarts, so a failover's story
 * survives the process that told it.
 */
final class Logging {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

    private Logging() {}

    /** Tools log warnings only (people read their stdout); servers log INFO (what happened, for operators). */
    static void toStderr(boolean server) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(server ? Level.INFO : Level.WARNING);
        ConsoleHandler stderr = new ConsoleHandler();
        stderr.setLevel(Level.ALL);
        stderr.setFormatter(new OneLine());
        root.addHandler(stderr);
    }

    /** Adds the server's log file in {@code dataDir/logs} and the ring the web UI's log page shows. */
    static Path toFileAndRing(Path dataDir, String kind) throws IOException {
        Path dir = dataDir.resolve("logs");
        Files.createDirectories(dir);
        Path file = dir.resolve("basalt-" + kind + ".log");
        // One file at a fixed name that operators and tests can find; appended to across restarts, not rotated.
        FileHandler handler = new FileHandler(file.toString(), 0, 1, true);
        handler.setFormatter(new OneLine());
        handler.setLevel(Level.ALL);
        Logger root = Logger.getLogger("");
        root.addHandler(handler);
        root.addHandler(new RingHandler(RecentLogLines.shared()));
        return file;
    }

    /** {@code 2026-01-01 12:00:00.000 INFO [thread] logger - message}, then the stack trace if any. */
    static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord record) {
            String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
            StringBuilder line = new StringBuilder(160).append(TIME.format(Instant.ofEpochMilli(record.getMillis())))
                    .append(' ').append(level(record.getLevel())).append(" [").append(Thread.currentThread().getName())
                    .append("] ").append(logger.substring(logger.lastIndexOf('.') + 1)).append(" - ")
                    .append(formatMessage(record)).append('\n');
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append(trace);
            }
            return line.toString();
        }

        private static String level(Level level) {
            return level == Level.SEVERE ? "ERROR" : level == Level.WARNING ? "WARN"
                    : level == Level.INFO ? "INFO" : level == Level.FINE ? "DEBUG" : level.getName();
        }
    }

    /** Feeds formatted lines to the web UI's ring. */
    private static final class RingHandler extends Handler {
        private final RecentLogLines ring;

        RingHandler(RecentLogLines ring) {
            this.ring = ring;
            setFormatter(new OneLine());
            setLevel(Level.ALL);
        }

        @Override
        public void publish(LogRecord record) {
            if (isLoggable(record)) {
                ring.append(getFormatter().format(record).stripTrailing());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
