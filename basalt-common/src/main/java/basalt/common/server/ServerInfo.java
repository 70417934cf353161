package basalt.common.server;

import basalt.common.check.Check;
import basalt.common.net.HostPort;

/**
 * What a running server tells the processes that started it: who it is and where it listens.
 *
 * @param uuid the server's permanent uuid (the same after a restart on the same data dir)
 * @param rpcAddress the address its gRPC services answer on, with the port actually bound
 * @param webAddress the address of its web UI, or {@code null} when it serves none
 * @param pid the operating-system process id of the server
 */
public record ServerInfo(String uuid, HostPort rpcAddress, HostPort webAddress, long pid) {
    public ServerInfo {
        Check.arg(uuid != null && uuid.matches("[A-Za-z0-9._-]+"), "uuid '%s' must be letters, digits, '.', '_' or '-'",
                uuid);
        Check.arg(rpcAddress != null, "rpcAddress must not be null");
        Check.arg(rpcAddress.port() > 0, "rpcAddress %s must carry the bound port, not 0", rpcAddress);
        Check.arg(webAddress == null || webAddress.port() > 0, "webAddress %s must carry the bound port", webAddress);
        Check.arg(pid > 0, "pid %s must be positive", pid);
    }
}
