package basalt.itest.junit;

import basalt.common.check.Check;
import basalt.itest.cluster.ExternalMiniCluster;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh {@link ExternalMiniCluster} for every test method, whose files outlive a failed test.
 *
 * <pre>{@code
 * @RegisterExtension
 * final MiniClusterExtension cluster = new MiniClusterExtension(builder -> builder.numTabletServers(3));
 *
 * @Test
 * void survivesAKill() {
 *     cluster.get().tabletServer(0).kill();
 *     ...
 * }
 * }</pre>
 *
 * <p>Before each test: starts the cluster under {@code <basalt.itest.dir>/<TestClass>/<method>-<n>}
 * ({@code basalt.itest.dir} defaults to {@code target/itest-clusters}). After each test: stops every process;
 * if the test passed, deletes the dir; if it failed (or the cluster did not start), keeps it and prints the
 * path of every process log to stderr, so the failure report leads straight to the logs.
 *
 * <p>Register it on an instance field (one cluster per test). The cluster classes themselves do not
 * depend on JUnit; this is the only class that does.
 */
public final class MiniClusterExtension implements BeforeEachCallback, AfterEachCallback {
    /** System property naming the directory under which clusters are created. */
    public static final String BASE_DIR_PROPERTY = "basalt.itest.dir";

    private final Consumer<ExternalMiniCluster.Builder> configuration;
    // Valid from beforeEach to afterEach of one test; null otherwise.
    private Path rootDir;
    private ExternalMiniCluster cluster;

    /** {@code configuration} sets everything but the root dir, which the extension chooses per test. */
    public MiniClusterExtension(Consumer<ExternalMiniCluster.Builder> configuration) {
        this.configuration = configuration;
    }

    /** The running cluster of the current test. */
    public ExternalMiniCluster get() {
        Check.state(cluster != null, "no cluster: it is started before each test and stopped after it");
        return cluster;
    }

    /** The root dir of the current (or last) test's cluster. */
    public Path rootDir() {
        Check.state(rootDir != null, "no test has started a cluster yet");
        return rootDir;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        String testClass = context.getTestClass().map(Class::getSimpleName).orElse("unknown-class");
        String testMethod = context.getTestMethod().map(method -> method.getName()).orElse("unknown-test");
        rootDir = uniqueDir(baseDir().resolve(testClass), testMethod);
        ExternalMiniCluster.Builder builder = ExternalMiniCluster.builder();
        configuration.accept(builder);
        cluster = builder.rootDir(rootDir).start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        finish(context.getExecutionException(), context.getDisplayName());
    }

    private void finish(Optional<Throwable> failure, String testName) {
        ExternalMiniCluster finished = cluster;
        cluster = null;
        if (failure.isPresent()) {
            StringBuilder message = new StringBuilder("[basalt-itest] ").append(testName)
                    .append(" failed; kept the cluster dir ").append(rootDir);
            if (finished != null) {
                finished.keepFiles();
                for (Path log : finished.logFiles()) {
                    message.append("\n[basalt-itest]   log: ").append(log);
                }
            }
            System.err.println(message);
        }
        if (finished != null) {
            finished.close();
        }
        if (failure.isEmpty()) {
            deleteIfEmpty(rootDir.getParent()); // the test class's dir, once its last cluster is gone
        }
    }

    private static void deleteIfEmpty(Path dir) {
        try {
            java.nio.file.Files.deleteIfExists(dir);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // another test's cluster, kept or still running: leave the dir
        } catch (java.io.IOException e) {
            System.err.println("[basalt-itest] cannot delete " + dir + ": " + e);
        }
    }

    static Path baseDir() {
        return Path.of(System.getProperty(BASE_DIR_PROPERTY, "target/itest-clusters")).toAbsolutePath();
    }

    private static Path uniqueDir(Path parent, String name) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            Path candidate = parent.resolve(name + "-" + attempt);
            if (!java.nio.file.Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("1000 kept cluster dirs named " + name + " under " + parent + "; clean up");
    }
}
