package basalt.client;

import basalt.common.net.HostPort;
import java.util.Optional;

/** A tablet server as the leader master knows it: live when it heartbeated recently. */
public record TabletServerInfo(String uuid, Optional<HostPort> address, boolean live, long millisSinceHeartbeat,
                               int replicas) {}
