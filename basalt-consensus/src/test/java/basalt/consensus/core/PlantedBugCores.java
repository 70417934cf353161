package basalt.consensus.core;

import basalt.consensus.sim.CoreFactory;

/** Test-only access to the planted bugs, which the core keeps package-private. */
public final class PlantedBugCores {
    private PlantedBugCores() {}

    /** The names of the bugs that can be planted, excluding NONE. */
    public static java.util.List<String> names() {
        return java.util.Arrays.stream(PlantedBug.values()).filter(bug -> bug != PlantedBug.NONE)
                .map(Enum::name).toList();
    }

    /** Cores with {@code bugName} planted. */
    public static CoreFactory withBug(String bugName) {
        PlantedBug bug = PlantedBug.valueOf(bugName);
        return (self, config, log, persisted, applied, random) ->
                new RaftCore(self, config, log, persisted, applied, random, bug);
    }
}
