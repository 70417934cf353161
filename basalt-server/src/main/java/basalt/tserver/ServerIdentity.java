package basalt.tserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A server's permanent identity: a UUID made at first start and kept in {@code <fs_data_dir>/instance}.
 * Raft memberships name servers by it, so it must never change; a damaged file stops the server with a
 * message naming it rather than minting a new identity.
 */
public final class ServerIdentity {
    static final String FILE_NAME = "instance";
    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-f]{32}");

    private ServerIdentity() {}

    public static String loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (!UUID_TEXT.matcher(text).matches()) {
                throw new IOException("server identity file " + file + " is damaged: expected 32 hex digits, found '"
                        + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'");
            }
            return text;
        }
        Files.createDirectories(dataDir);
        String uuid = UUID.randomUUID().toString().replace("-", "");
        Path temp = dataDir.resolve(FILE_NAME + ".tmp");
        Files.writeString(temp, uuid + "\n", StandardCharsets.UTF_8);
        try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        return uuid;
    }
}
