package basalt.cli;

import basalt.cli.rpc.ClusterClient;
import basalt.proto.ListTabletServersRequestPB;
import basalt.proto.ListTabletServersResponsePB;
import basalt.proto.TabletServerEntryPB;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code basalt tserver list}: the tablet servers as the leader master sees them (CLI.md). */
final class TserverAdminCommands {
    private TserverAdminCommands() {}

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Each tablet server: uuid, address, live or dead, last heartbeat age, replica count.")
    static final class ListCommand extends ClientCommand {
        @Mixin
        Format format;

        @Override
        void validate() {
            json(format);
        }

        @Override
        int run(ClusterClient client) {
            ListTabletServersResponsePB response = client.master(stub -> stub.listTabletServers(
                    ListTabletServersRequestPB.getDefaultInstance()),
                    r -> r.hasError() ? Optional.of(r.getError()) : Optional.empty(), deadline());
            if (response.hasError()) {
                throw new IllegalStateException(response.getError().getCode() + ": " + response.getError().getMessage());
            }
            if (json(format)) {
                JsonArray servers = new JsonArray();
                for (TabletServerEntryPB server : response.getServersList()) {
                    JsonObject entry = new JsonObject();
                    entry.addProperty("uuid", server.getServer().getUuid());
                    entry.addProperty("rpc_address", ClusterClient.address(server.getServer().getAddress()).toString());
                    entry.addProperty("live", server.getLive());
                    entry.addProperty("millis_since_heartbeat", server.getMillisSinceHeartbeat());
                    entry.addProperty("replicas", server.getReplicas());
                    servers.add(entry);
                }
                printJson(servers);
                return 0;
            }
            out().printf("%-34s %-22s %-5s %-14s %s%n", "uuid", "rpc_address", "live", "heartbeat_ago", "replicas");
            for (TabletServerEntryPB server : response.getServersList()) {
                out().printf("%-34s %-22s %-5s %-14s %d%n", server.getServer().getUuid(),
                        ClusterClient.address(server.getServer().getAddress()), server.getLive() ? "yes" : "DEAD",
                        server.getMillisSinceHeartbeat() + " ms", server.getReplicas());
            }
            out().flush();
            return 0;
        }
    }
}
