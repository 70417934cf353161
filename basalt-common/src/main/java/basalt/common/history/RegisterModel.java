package basalt.common.history;

import java.util.Objects;
import java.util.Optional;

/**
 * A single read/write/compare-and-set register whose value may be absent.
 *
 * <pre>
 * read  -> allowed iff the output equals the current value; state unchanged
 * write -> always allowed; the value becomes the written one
 * cas   -> allowed iff the current value equals expected; the value becomes the new one
 * </pre>
 * Equality is null-safe: reading an absent key returns {@code null}, and a cas may expect absence.
 */
public final class RegisterModel implements Model<RegisterModel.Register> {
    /** The register's value; {@code value == null} means the key is absent. */
    public record Register(String value) {}

    /** An absent key: the usual initial state. */
    public static final Register ABSENT = new Register(null);

    @Override
    public Optional<Register> step(Register state, Operation operation) {
        return switch (operation.function()) {
            case READ -> Objects.equals(state.value(), operation.output()) ? Optional.of(state) : Optional.empty();
            case WRITE -> Optional.of(new Register(operation.value()));
            case CAS -> Objects.equals(state.value(), operation.expected())
                    ? Optional.of(new Register(operation.value()))
                    : Optional.empty();
        };
    }

    @Override
    public String describe(Register state) {
        return state.value() == null ? "absent" : state.value();
    }
}
