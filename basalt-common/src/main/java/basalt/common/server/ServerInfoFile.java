package basalt.common.server;

import basalt.common.net.HostPort;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Properties;

/**
 * The readiness file a server writes once it serves: {@code <fs_data_dir>/server-info}.
 *
 * <p>The protocol between a server and whatever started it (the mini cluster, {@code basalt
 * local-cluster}, a script): the server binds its ports (port 0 lets the OS choose), starts serving, and
 * only then calls {@link #write}. A reader that finds the file therefore knows the real ports, and the
 * server answers on them. The file is written to a temporary name, fsynced and renamed over
 * {@code server-info}, so a reader sees either no file, the previous one, or the whole new one; never
 * half a file. A previous run's file may still be there (a killed server cannot remove it), so a reader
 * that started the process compares {@link ServerInfo#pid()} with the pid it launched.
 *
 * <p>Format: {@code key=value} lines (Java properties, nothing escaped), keys {@code uuid}, {@code rpc_address} ({@code host:port}),
 * {@code web_address} ({@code host:port}, empty when there is no web UI) and {@code pid}.
 */
public final class ServerInfoFile {
    /** The file's name inside the data dir. */
    public static final String FILE_NAME = "server-info";

    private ServerInfoFile() {}

    public static Path path(Path dataDir) {
        return dataDir.resolve(FILE_NAME);
    }

    /** Atomically replaces {@code <dataDir>/server-info} with {@code info}: temp file, fsync, rename, fsync dir. */
    public static void write(Path dataDir, ServerInfo info) throws IOException {
        // Written by hand rather than with Properties.store, which would escape the ':' of host:port and add
        // a timestamp: the file stays readable by grep and shell scripts, and Properties.load still parses it.
        String text = "# written by a Basalt server once it serves; see basalt.common.server.ServerInfoFile\n"
                + "uuid=" + info.uuid() + "\n"
                + "rpc_address=" + info.rpcAddress() + "\n"
                + "web_address=" + (info.webAddress() == null ? "" : info.webAddress().toString()) + "\n"
                + "pid=" + info.pid() + "\n";
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);

        Files.createDirectories(dataDir);
        Path temp = dataDir.resolve(FILE_NAME + ".tmp-" + info.pid());
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(temp, path(dataDir), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a directory; the rename is still atomic, only its durability
            // across a machine crash is in question, which a readiness file does not need.
        }
    }

    /**
     * Reads {@code <dataDir>/server-info}.
     *
     * @throws NoSuchFileException when the server has not written it (yet)
     * @throws IOException when it cannot be read or does not parse (the message names the file)
     */
    public static ServerInfo read(Path dataDir) throws IOException {
        Path file = path(dataDir);
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        Properties properties = new Properties();
        properties.load(new StringReader(text));
        try {
            String web = required(properties, "web_address");
            return new ServerInfo(
                    required(properties, "uuid"),
                    HostPort.parse(required(properties, "rpc_address")),
                    web.isEmpty() ? null : HostPort.parse(web),
                    Long.parseLong(required(properties, "pid")));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " does not parse: " + e.getMessage(), e);
        }
    }

    /** Like {@link #read}, but empty when the file does not exist. */
    public static Optional<ServerInfo> readIfPresent(Path dataDir) throws IOException {
        try {
            return Optional.of(read(dataDir));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Removes the file, if any; a starter calls this before launching so a stale file cannot mislead it. */
    public static void delete(Path dataDir) throws IOException {
        Files.deleteIfExists(path(dataDir));
    }

    private static String required(Properties properties, String key) {
        String value = properties.getProperty(key);
        if (value == null) {
            throw new IllegalArgumentException("missing key '" + key + "'");
        }
        return value.trim();
    }
}
