package basalt.tserver;

import basalt.common.net.HostPort;
import basalt.consensus.core.NodeId;
import basalt.server.rpc.PeerDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The addresses of the peers this server's tablets replicate with, kept across restarts in
 * {@code <fs_data_dir>/peers} as "uuid host:port" lines (a restarted replica must reach its group before
 * any master tells it where the others are). Replaced atomically on every change.
 */
final class PeerFile {
    private final Path file;

    PeerFile(Path file) {
        this.file = file;
    }

    void loadInto(PeerDirectory peers) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(" ");
            if (parts.length != 2) {
                throw new IOException(file + ":" + (i + 1) + ": expected 'uuid host:port', found '" + line + "'");
            }
            peers.put(NodeId.of(parts[0]), HostPort.parse(parts[1]));
        }
    }

    synchronized void save(PeerDirectory peers) {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<NodeId, HostPort> entry : peers.snapshot().entrySet()) {
            lines.add(entry.getKey().value() + " " + entry.getValue());
        }
        try {
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(temp, lines, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("saving peer addresses to " + file, e);
        }
    }
}
