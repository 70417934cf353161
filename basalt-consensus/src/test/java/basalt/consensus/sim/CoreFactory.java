package basalt.consensus.sim;

import basalt.consensus.core.HardState;
import basalt.consensus.core.NodeId;
import basalt.consensus.core.RaftConfig;
import basalt.consensus.core.RaftCore;
import basalt.consensus.core.RaftLog;
import java.util.random.RandomGenerator;

/** Makes the core of a (re)starting replica; tests that plant bugs pass their own. */
@FunctionalInterface
public interface CoreFactory {
    RaftCore create(NodeId self, RaftConfig config, RaftLog log, HardState persisted, long appliedIndex,
                    RandomGenerator random);

    CoreFactory PRODUCTION = RaftCore::new;
}
