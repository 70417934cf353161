package basalt.consensus.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.PlantedBugCores;
import org.junit.jupiter.api.Test;

/**
 * Goal: the thesis's Figure 3.7 ("Figure 8" of the Raft paper), driven step by step in the simulator.
 * A leader of a later term must not commit an entry of an earlier term by counting replicas: that entry
 * can still be overwritten by a replica holding a conflicting entry of a term in between.
 * Method: three replicas; n1 writes entries no one else gets (term a); n2 or n3 leads briefly and writes
 * its no-op at the same index (term b > a) no one else gets; n1 comes back and leads (term c) with the
 * remaining replica, replicating one entry per message; as soon as n1's commit index covers its old
 * entries we cut it off and crash it; the term-b replica then wins and overwrites. With the rule of
 * section 3.6.2 in place n1 cannot commit before the remaining replica holds its term-c no-op, so the
 * term-b replica can no longer win, and every invariant holds; with the bug planted, leader completeness
 * fails the run.
 */
class FigureEightScenarioTest {
    private static final long MAX_TICKS = 400;

    @Test
    void correctCoreKeepsTheCommittedEntry() {
        Simulation simulation = Simulation.directed(8, 3, CoreFactory.PRODUCTION, 1);
        playFigureEight(simulation);
        // The old entries committed only together with n1's own no-op; they survive everything after.
        simulation.healAll();
        simulation.requireProgress(MAX_TICKS);
        simulation.checkReplicasAgree();
    }

    @Test
    void plantedBugIsCaughtByLeaderCompleteness() {
        Simulation simulation = Simulation.directed(8, 3,
                PlantedBugCores.withBug("COMMIT_PREVIOUS_TERM_BY_COUNTING"), 1);
        assertThatThrownBy(() -> {
            playFigureEight(simulation);
            simulation.healAll();
            simulation.requireProgress(MAX_TICKS);
        }).isInstanceOf(SimulationFailure.class)
                .satisfies(failure -> assertThat(((SimulationFailure) failure).invariant())
                        .isIn("LeaderCompleteness", "CommittedNeverChanges"));
    }

    private static void playFigureEight(Simulation sim) {
        // n1 leads and everyone holds a committed prefix.
        assertThat(sim.runUntil(() -> sim.isLeader("n1") || sim.isLeader("n2") || sim.isLeader("n3"), MAX_TICKS)).isTrue();
        if (!sim.isLeader("n1")) {
            sim.transferLeadership(sim.isLeader("n2") ? "n2" : "n3", "n1");
            assertThat(sim.runUntil(() -> sim.isLeader("n1"), MAX_TICKS)).as("n1 takes over").isTrue();
        }
        sim.proposeWrite("n1", "k", "committed");
        long prefix = sim.lastIndex("n1");
        assertThat(sim.runUntil(() -> sim.commitIndex("n2") >= prefix && sim.commitIndex("n3") >= prefix, MAX_TICKS)).isTrue();

        // Term a: n1, cut off, appends entries nobody else receives.
        sim.isolate("n1");
        for (int i = 0; i < 3; i++) {
            sim.proposeWrite("n1", "k", "a" + i);
        }

        // Term b: n2 or n3 wins and is cut off at once, its no-op at prefix + 1 reaching nobody.
        assertThat(sim.runUntil(() -> sim.isLeader("n2") || sim.isLeader("n3") || leads(sim, "n2") || leads(sim, "n3"),
                MAX_TICKS)).as("n2 or n3 leads term b").isTrue();
        String termB = leads(sim, "n2") ? "n2" : "n3";
        String other = termB.equals("n2") ? "n3" : "n2";
        sim.isolate(termB);

        // Term c: n1 returns and wins with the other replica's vote; stop n1 as soon as it believes
        // anything past the prefix is committed.
        sim.connect("n1", other);
        assertThat(sim.runUntil(() -> sim.commitIndex("n1") > prefix, MAX_TICKS))
                .as("n1 commits past the prefix in term c").isTrue();
        sim.isolate("n1");
        sim.crashNode("n1");

        // The term-b replica returns; with the bug it can win and overwrite what n1 counted as committed.
        sim.connect(termB, other);
        sim.runUntil(() -> false, MAX_TICKS);
    }

    private static boolean leads(Simulation sim, String id) {
        return sim.lastIndex(id) >= 0 && sim.isLeaderAnyState(id);
    }
}
