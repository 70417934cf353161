package basalt.consensus.wal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The WAL holds data that recovery must not silently drop: a bad record before the tail, a bad header,
 * a missing segment or a gap in indexes. The message names the file and the byte offset so an operator
 * can look at it (for example with {@code basalt wal dump}).
 */
public final class WalCorruptionException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Path file;
    private final long offsetBytes;

    public WalCorruptionException(Path file, long offsetBytes, String reason) {
        super("WAL corruption in " + file + " at byte offset " + offsetBytes + ": " + reason);
        this.file = file;
        this.offsetBytes = offsetBytes;
    }

    public Path file() {
        return file;
    }

    public long offsetBytes() {
        return offsetBytes;
    }
}
