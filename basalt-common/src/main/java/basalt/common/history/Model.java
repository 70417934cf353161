package basalt.common.history;

import java.util.Optional;

/**
 * A sequential specification: a pure state machine that says whether an operation may happen in a
 * state, and what state follows.
 *
 * <p>States are values: the checker memoizes on them, so they must be immutable with
 * {@code equals}/{@code hashCode}. {@code null} is not a state; wrap an absent value (see
 * {@link RegisterModel.Register}).
 *
 * @param <S> the state type
 */
public interface Model<S> {
    /**
     * The state after {@code operation} runs in {@code state}, or empty when the sequential object could
     * not have produced the operation's recorded outcome there (for example, a read of a value other than
     * the current one). Only OK and INFO operations are passed; INFO ones carry no output.
     */
    Optional<S> step(S state, Operation operation);

    /** A short description of a state for explanations. */
    default String describe(S state) {
        return String.valueOf(state);
    }
}
