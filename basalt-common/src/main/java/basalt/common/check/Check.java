package basalt.common.check;

/**
 * Always-on checks. Java's {@code assert} is off by default; these are not, so a replica that reaches
 * a state it must never be in stops instead of carrying on wrongly (TigerBeetle's rule).
 */
public final class Check {
    private Check() {}

    /** Fails with {@link IllegalStateException} when an internal invariant does not hold. */
    public static void state(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalStateException(String.format(format, args));
        }
    }

    /** Fails with {@link IllegalArgumentException} when a caller passed something invalid. */
    public static void arg(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(format, args));
        }
    }
}
