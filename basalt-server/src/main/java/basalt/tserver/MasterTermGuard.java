package basalt.tserver;

import basalt.proto.Code;
import basalt.proto.ErrorPB;
import basalt.server.rpc.Errors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Refuses commands from a master of an older term than one this server has already obeyed, so a deposed
 * master cannot create or delete tablets behind its successor's back (no split-brain side effects). The
 * highest term is kept in {@code <fs_data_dir>/master-term} so a restart does not forget it. Term 0 means
 * "no master" (tests and tools that drive a tablet server directly) and is always accepted.
 */
public final class MasterTermGuard {
    private final Path file;
    private long highestTerm;

    public MasterTermGuard(Path dataDir) throws IOException {
        this.file = dataDir.resolve("master-term");
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            try {
                highestTerm = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IOException("master term file " + file + " is damaged: '" + text + "'", e);
            }
        }
    }

    /** Empty when a command of {@code masterTerm} may proceed (and remembers the term); else STALE_TERM. */
    public synchronized Optional<ErrorPB> check(long masterTerm) {
        if (masterTerm == 0) {
            return Optional.empty();
        }
        if (masterTerm < highestTerm) {
            return Optional.of(Errors.of(Code.STALE_TERM, "command from a master of term " + masterTerm
                    + ", but this server already follows term " + highestTerm));
        }
        if (masterTerm > highestTerm) {
            try {
                Path temp = file.resolveSibling("master-term.tmp");
                Files.writeString(temp, Long.toString(masterTerm), StandardCharsets.UTF_8);
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            highestTerm = masterTerm;
        }
        return Optional.empty();
    }
}
