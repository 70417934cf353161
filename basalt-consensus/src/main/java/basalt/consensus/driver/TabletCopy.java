package basalt.consensus.driver;

import basalt.consensus.core.ConfigAt;
import basalt.consensus.core.OpId;
import com.google.protobuf.ByteString;

/**
 * A state machine snapshot that stands in for the log up to {@code lastIncluded}: what a replica behind
 * the leader's first retained entry installs instead of the entries it can no longer get.
 */
public record TabletCopy(OpId lastIncluded, ConfigAt config, ByteString data) {}
