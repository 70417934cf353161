package basalt.consensus.core;

/**
 * Known Raft bugs that tests plant in the core to prove the simulator catches them. Package-private and
 * reachable only through a package-private constructor of {@link RaftCore}: production code cannot set
 * it, and an architecture test checks that no production class outside the core names it.
 */
enum PlantedBug {
    NONE,
    /** Commits an entry of an earlier term by counting replicas (the thesis's Figure 3.7 bug). */
    COMMIT_PREVIOUS_TERM_BY_COUNTING,
    /** Sends a granted vote before the vote is durable, so a crash can make the replica vote twice. */
    VOTE_BEFORE_DURABLE,
    /** A leader that cannot reach a majority keeps leading (no check-quorum step-down). */
    NO_CHECK_QUORUM_STEP_DOWN,
    /** A follower accepts appends without checking the preceding OpId. */
    APPEND_WITHOUT_PREV_CHECK
}
