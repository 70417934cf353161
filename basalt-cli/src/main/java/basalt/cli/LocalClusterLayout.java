package basalt.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The shape of a local cluster, kept in {@code DIR/local-cluster.properties} so that a restart on the same
 * DIR brings back the same cluster: the same number of masters on the same ports (a master's address is its
 * identity in the master list), and the same tablet servers on the ports they bound last time (tablet
 * replicas know their peers by address).
 *
 * <p>A tablet server port of 0 means "let the OS choose"; after the first start the bound port replaces it.
 *
 * @param masterPorts one fixed port per master, {@code master-1} first
 * @param tserverPorts one port per tablet server, {@code tserver-1} first; 0 = OS-chosen
 * @param basePort the {@code --base_port} the DIR was created with (0 = OS-chosen ports)
 */
record LocalClusterLayout(List<Integer> masterPorts, List<Integer> tserverPorts, int basePort) {
    static final String FILE_NAME = "local-cluster.properties";
    static final int DEFAULT_MASTERS = 3;
    static final int DEFAULT_TSERVERS = 3;
    /** Masters use base_port+1.., tablet servers base_port+11.. (CLI contract). */
    static final int MASTER_PORT_OFFSET = 1;
    static final int TSERVER_PORT_OFFSET = 11;
    static final int MAX_MASTERS = TSERVER_PORT_OFFSET - MASTER_PORT_OFFSET;
    static final int MAX_TSERVERS = 100;

    LocalClusterLayout {
        masterPorts = List.copyOf(masterPorts);
        tserverPorts = List.copyOf(tserverPorts);
    }

    int masters() {
        return masterPorts.size();
    }

    int tservers() {
        return tserverPorts.size();
    }

    /**
     * The layout for DIR: the recorded one when DIR has one (refusing flags that disagree with it), otherwise
     * a new one from the flags. {@code null} flags were not given.
     */
    static LocalClusterLayout resolve(Path dir, Integer masters, Integer tservers, Integer basePort) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            LocalClusterLayout recorded = read(file);
            if (masters != null && masters != recorded.masters()) {
                throw new IllegalArgumentException(dir + " holds a cluster of " + recorded.masters()
                        + " master(s), not " + masters + "; drop --masters, or use another --data DIR");
            }
            if (tservers != null && tservers != recorded.tservers()) {
                throw new IllegalArgumentException(dir + " holds a cluster of " + recorded.tservers()
                        + " tablet server(s), not " + tservers + "; drop --tservers, or use another --data DIR");
            }
            if (basePort != null && basePort != recorded.basePort()) {
                throw new IllegalArgumentException(dir + " holds a cluster created with --base_port "
                        + recorded.basePort() + ", not " + basePort + "; its masters keep ports " + recorded.masterPorts()
                        + "; drop --base_port, or use another --data DIR");
            }
            return recorded;
        }
        return create(masters == null ? DEFAULT_MASTERS : masters, tservers == null ? DEFAULT_TSERVERS : tservers,
                basePort == null ? 0 : basePort);
    }

    static LocalClusterLayout create(int masters, int tservers, int basePort) {
        if (masters < 1 || masters > MAX_MASTERS) {
            throw new IllegalArgumentException("--masters must be 1.." + MAX_MASTERS + ", not " + masters);
        }
        if (tservers < 0 || tservers > MAX_TSERVERS) {
            throw new IllegalArgumentException("--tservers must be 0.." + MAX_TSERVERS + ", not " + tservers);
        }
        if (basePort < 0 || basePort + TSERVER_PORT_OFFSET + tservers > 65535) {
            throw new IllegalArgumentException("--base_port " + basePort + " leaves no room for the servers' ports");
        }
        List<Integer> masterPorts = new ArrayList<>();
        List<Integer> tserverPorts = new ArrayList<>();
        if (basePort == 0) {
            masterPorts.addAll(freeLoopbackPorts(masters));
            for (int i = 0; i < tservers; i++) {
                tserverPorts.add(0);
            }
        } else {
            for (int i = 0; i < masters; i++) {
                masterPorts.add(basePort + MASTER_PORT_OFFSET + i);
            }
            for (int i = 0; i < tservers; i++) {
                tserverPorts.add(basePort + TSERVER_PORT_OFFSET + i);
            }
        }
        return new LocalClusterLayout(masterPorts, tserverPorts, basePort);
    }

    LocalClusterLayout withTserverPorts(List<Integer> ports) {
        return new LocalClusterLayout(masterPorts, ports, basePort);
    }

    static LocalClusterLayout read(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            properties.load(reader);
        }
        try {
            int masters = Integer.parseInt(required(properties, "masters"));
            int tservers = Integer.parseInt(required(properties, "tservers"));
            List<Integer> masterPorts = new ArrayList<>();
            List<Integer> tserverPorts = new ArrayList<>();
            for (int i = 1; i <= masters; i++) {
                masterPorts.add(Integer.parseInt(required(properties, "master." + i + ".port")));
            }
            for (int i = 1; i <= tservers; i++) {
                tserverPorts.add(Integer.parseInt(required(properties, "tserver." + i + ".port")));
            }
            return new LocalClusterLayout(masterPorts, tserverPorts, Integer.parseInt(required(properties, "base_port")));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " does not parse: " + e.getMessage(), e);
        }
    }

    /** Writes DIR/local-cluster.properties atomically (temp file, rename). */
    void write(Path dir) throws IOException {
        StringBuilder text = new StringBuilder("# basalt local-cluster: the shape of the cluster in this directory\n");
        text.append("masters=").append(masters()).append('\n');
        text.append("tservers=").append(tservers()).append('\n');
        text.append("base_port=").append(basePort).append('\n');
        for (int i = 0; i < masters(); i++) {
            text.append("master.").append(i + 1).append(".port=").append(masterPorts.get(i)).append('\n');
        }
        for (int i = 0; i < tservers(); i++) {
            text.append("tserver.").append(i + 1).append(".port=").append(tserverPorts.get(i)).append('\n');
        }
        writeAtomically(dir.resolve(FILE_NAME), text.toString());
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
            writer.write(text);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String required(Properties properties, String key) {
        String value = properties.getProperty(key);
        if (value == null) {
            throw new IllegalArgumentException("missing key '" + key + "'");
        }
        return value.trim();
    }

    /**
     * Distinct free loopback ports, all held open together while chosen so they differ. Another process may
     * take one before its master binds it; that master then fails to start and the error names its log.
     */
    private static List<Integer> freeLoopbackPorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                sockets.add(socket);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                ports.add(socket.getLocalPort());
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free loopback ports", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // a reserved port that does not close is still free enough to try
                }
            }
        }
    }
}
