package basalt.consensus.meta;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The consensus metadata file is missing or unreadable. The server must stop: resetting term and vote
 * would let this replica vote twice in a term. The message names the file.
 */
public final class ConsensusMetadataException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Path file;

    public ConsensusMetadataException(Path file, String reason) {
        super("consensus metadata " + file + ": " + reason);
        this.file = file;
    }

    public ConsensusMetadataException(Path file, String reason, Throwable cause) {
        super("consensus metadata " + file + ": " + reason, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
