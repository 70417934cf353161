package basalt.itest.cluster;

import basalt.common.check.Check;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to launch a JVM child: {@code <java> <jvmOptions> -cp <classpath> <mainClass> <args>}.
 *
 * <p>{@link #forCurrentJvm} uses the JDK and the classpath of the JVM that runs the harness, so a
 * {@code mvn verify} run launches servers from the classes that build just compiled. Under Surefire the
 * test JVM's {@code java.class.path} may be a manifest-only jar, so the real test classpath is taken from
 * {@code surefire.test.class.path} when Surefire sets it; {@code -Dbasalt.itest.classpath=...} overrides both.
 */
public record JavaCommand(Path javaExecutable, String classpath, List<String> jvmOptions, String mainClass) {
    /**
     * Options for many small server JVMs sharing 2 cores: a small heap, the serial collector (no GC threads
     * per process), the C1 compiler only (fast start, few compiler threads), class data sharing when the
     * JDK has an archive, no perf-data files, a quick death on OOM rather than a limp, and IPv4 loopback.
     */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of(
            "-Xmx256m",
            "-Xss512k",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1",
            "-Xshare:auto",
            "-XX:-UsePerfData",
            "-XX:+ExitOnOutOfMemoryError",
            // Netty loads its native transport; without this, JDK 24+ prints a warning into every log.
            "--enable-native-access=ALL-UNNAMED",
            "-Djava.net.preferIPv4Stack=true");

    public JavaCommand {
        Check.arg(javaExecutable != null, "javaExecutable must not be null");
        Check.arg(classpath != null && !classpath.isBlank(), "classpath must not be blank");
        Check.arg(mainClass != null && !mainClass.isBlank(), "mainClass must not be blank");
        jvmOptions = List.copyOf(jvmOptions);
    }

    /** The test JVM's own java and classpath, with {@link #DEFAULT_JVM_OPTIONS}. */
    public static JavaCommand forCurrentJvm(String mainClass) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Check.state(Files.isExecutable(java), "no java executable at %s", java);
        return new JavaCommand(java, currentClasspath(), DEFAULT_JVM_OPTIONS, mainClass);
    }

    static String currentClasspath() {
        String explicit = System.getProperty("basalt.itest.classpath");
        if (explicit != null && !explicit.isBlank()) {
            return explicit;
        }
        String surefire = System.getProperty("surefire.test.class.path");
        if (surefire != null && !surefire.isBlank()) {
            return surefire;
        }
        return System.getProperty("java.class.path");
    }

    public JavaCommand withJvmOptions(List<String> options) {
        return new JavaCommand(javaExecutable, classpath, options, mainClass);
    }

    public JavaCommand withMainClass(String otherMainClass) {
        return new JavaCommand(javaExecutable, classpath, jvmOptions, otherMainClass);
    }

    public JavaCommand withClasspath(String otherClasspath) {
        return new JavaCommand(javaExecutable, otherClasspath, jvmOptions, mainClass);
    }

    /** The full command line for {@code args}. */
    public List<String> commandLine(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable.toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(args);
        return command;
    }
}
