package basalt.itest.junit;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.cluster.FakeServerMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Goal: a failed test keeps its cluster's dir and names every log; a passed one leaves nothing behind.
 * Method: drive the extension's callbacks directly with a stand-in context whose outcome we choose.
 */
class MiniClusterExtensionTest {
    @Test
    void aFailedTestKeepsTheDirAndPrintsEveryLog() throws Exception {
        MiniClusterExtension extension = new MiniClusterExtension(builder -> builder
                .numTabletServers(2).mainClass(FakeServerMain.class.getName()));
        extension.beforeEach(context(Optional.empty()));
        ExternalMiniCluster cluster = extension.get();
        Path root = extension.rootDir();
        ExternalServer server = cluster.tabletServer(0);

        String stderr = captureStderr(() ->
                extension.afterEach(context(Optional.of(new AssertionError("the test failed")))));

        assertThat(server.isAlive()).isFalse();
        assertThat(cluster.tabletServer(1).isAlive()).isFalse();
        assertThat(root).isDirectory();
        assertThat(stderr).contains("failed").contains(root.toString());
        for (Path log : cluster.logFiles()) {
            assertThat(log).exists().content().contains("serving on");
            assertThat(stderr).contains(log.toString());
        }
        try (var paths = Files.walk(root)) { // kept on purpose above; tidy up now
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
        try (var left = Files.list(root.getParent())) {
            if (left.findAny().isEmpty()) {
                Files.delete(root.getParent());
            }
        }
    }

    @Test
    void aPassedTestLeavesNothingBehind() throws Exception {
        MiniClusterExtension extension = new MiniClusterExtension(builder -> builder
                .numTabletServers(1).mainClass(FakeServerMain.class.getName()));
        extension.beforeEach(context(Optional.empty()));
        ExternalServer server = extension.get().tabletServer(0);
        Path root = extension.rootDir();

        String stderr = captureStderr(() -> extension.afterEach(context(Optional.empty())));

        assertThat(server.isAlive()).isFalse();
        assertThat(server.process().exitCode()).hasValue(0);
        assertThat(Files.exists(root)).isFalse();
        assertThat(stderr).doesNotContain("failed");
    }

    /** An ExtensionContext that answers what the extension asks; anything else is a test bug. */
    private static ExtensionContext context(Optional<Throwable> outcome) {
        Method testMethod;
        try {
            testMethod = MiniClusterExtensionTest.class.getDeclaredMethod("aFailedTestKeepsTheDirAndPrintsEveryLog");
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
        return (ExtensionContext) Proxy.newProxyInstance(ExtensionContext.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getTestClass" -> Optional.of(MiniClusterExtensionTest.class);
                    case "getTestMethod" -> Optional.of(testMethod);
                    case "getExecutionException" -> outcome;
                    case "getDisplayName" -> "stand-in test";
                    case "toString" -> "stand-in context";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static String captureStderr(ThrowingRunnable action) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
