package basalt.consensus;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Goal: the Raft core stays pure (ARCHITECTURE "Pure core"; STYLE section 1), so the simulator can run
 * it deterministically, and the planted-bug switch cannot leak into production code.
 * Method: ArchUnit over the production classes of basalt.consensus (tests are not imported).
 */
@AnalyzeClasses(packages = "basalt.consensus", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    @ArchTest
    static final ArchRule coreIsPure = noClasses()
            .that().resideInAnyPackage("basalt.consensus.core..", "basalt.consensus.quorum..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "java.io..", "java.nio..", "java.net..", "java.util.concurrent..", "java.time..",
                    "basalt.consensus.wal..", "basalt.consensus.driver..", "basalt.consensus.cache..",
                    "basalt.consensus.meta..", "io.grpc..", "org.slf4j..")
            .because("the core takes time, randomness, I/O and threads from its caller");

    @ArchTest
    static final ArchRule coreStartsNoThreads = noClasses()
            .that().resideInAnyPackage("basalt.consensus.core..", "basalt.consensus.quorum..")
            .should().dependOnClassesThat().belongToAnyOf(Thread.class)
            .because("the core is single-threaded and never sleeps");

    @ArchTest
    static final ArchRule plantedBugStaysInTheCore = noClasses()
            .that().resideOutsideOfPackage("basalt.consensus.core")
            .should().dependOnClassesThat().haveFullyQualifiedName("basalt.consensus.core.PlantedBug")
            .because("only tests in the core's package may plant a bug");
}
