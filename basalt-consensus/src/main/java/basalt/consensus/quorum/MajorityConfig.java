package basalt.consensus.quorum;

import java.util.Arrays;

/** Quorum arithmetic for one set of voters, kept apart so the simulator's invariants can reuse it. */
public final class MajorityConfig {
    private MajorityConfig() {}

    /**
     * The highest index that a majority of voters has acknowledged: sort the acknowledged indexes in
     * descending order and take the one at position {@code quorum - 1}. With no voters there is no
     * majority, so nothing is committed ({@code 0}).
     */
    public static long committedIndex(long[] acknowledgedByVoter) {
        int voters = acknowledgedByVoter.length;
        if (voters == 0) {
            return 0;
        }
        long[] sorted = acknowledgedByVoter.clone();
        Arrays.sort(sorted);
        int quorum = voters / 2 + 1;
        return sorted[voters - quorum];
    }

    /** Whether {@code count} voters out of {@code voters} form a majority. */
    public static boolean isMajority(int count, int voters) {
        return voters > 0 && count >= voters / 2 + 1;
    }
}
