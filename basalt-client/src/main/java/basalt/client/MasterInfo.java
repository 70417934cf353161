package basalt.client;

import basalt.common.net.HostPort;
import java.util.Optional;

/** A master of the cluster: LEADER, FOLLOWER or LEARNER, at the term the answering master is in. */
public record MasterInfo(String uuid, Optional<HostPort> address, String role, long term) {}
