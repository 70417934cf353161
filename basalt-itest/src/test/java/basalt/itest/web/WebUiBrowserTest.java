package basalt.itest.web;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.itest.cluster.ExternalMiniCluster;
import basalt.itest.cluster.ExternalServer;
import basalt.itest.junit.MiniClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Goal: the web UI works in a real browser with no JavaScript: headless Chromium loads a running
 * cluster's pages, the masters page shows exactly one LEADER and links to the other masters' UIs (the
 * link is followed), and the tables page shows a created table, its name rendered as text.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs them). Without
 * them the test is skipped with a plain message, except under {@code CI=true}, where it fails: CI must run it.
 */
class WebUiBrowserTest {
    private static final List<String> CHROMIUM = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
    private static final List<String> CHROMEDRIVER = List.of("/usr/bin/chromedriver");
    private static Path chromium;
    private static Path chromedriver;

    @RegisterExtension
    final MiniClusterExtension extension = new MiniClusterExtension(builder -> builder.numMasters(3).numTabletServers(1));

    @BeforeAll
    static void findBrowser() {
        Optional<Path> browser = firstExecutable("CHROME_BIN", CHROMIUM);
        Optional<Path> driver = firstExecutable("CHROMEDRIVER", CHROMEDRIVER);
        if (browser.isEmpty() || driver.isEmpty()) {
            String message = "no headless browser: need chromium (" + CHROMIUM + " or $CHROME_BIN) and chromedriver ("
                    + CHROMEDRIVER + " or $CHROMEDRIVER); install with: apt-get install -y --no-install-recommends"
                    + " chromium chromium-driver";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("CI=true and " + message);
            }
            System.err.println("[basalt-itest] WebUiBrowserTest SKIPPED: " + message);
            Assumptions.abort("skipped: " + message);
        }
        chromium = browser.get();
        chromedriver = driver.get();
    }

    private static Optional<Path> firstExecutable(String envVariable, List<String> defaults) {
        String fromEnv = System.getenv(envVariable);
        return Stream.concat(Stream.ofNullable(fromEnv), defaults.stream()).map(Path::of)
                .filter(Files::isExecutable).findFirst();
    }

    private static WebDriver headlessChromium() {
        // The driver is named explicitly, so Selenium never runs Selenium Manager (which would download one).
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, chromedriver.toString());
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions().setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                // Nothing but the cluster on 127.0.0.1: no update checks, no safe-browsing lists, no metrics.
                "--disable-background-networking", "--disable-component-update", "--disable-domain-reliability",
                "--disable-client-side-phishing-detection", "--metrics-recording-only", "--no-pings",
                "--blink-settings=scriptEnabled=false");
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        return driver;
    }

    @Test
    void mastersAndTablesPagesInHeadlessChromium() {
        ExternalMiniCluster cluster = extension.get();
        ExternalServer leader = cluster.awaitMasterLeader(WebUiTest.DEADLINE);
        String tableId = WebUiTest.createTable(cluster, WebUiTest.NASTY_NAME, 1);
        WebDriver browser = headlessChromium();
        try {
            ExternalServer follower = cluster.masters().stream().filter(m -> m != leader).findFirst().orElseThrow();
            browser.get("http://" + WebUiTest.web(follower) + "/");
            assertThat(browser.getTitle()).startsWith("Masters - master " + follower.uuid());
            List<WebElement> rows = browser.findElements(By.cssSelector("table#masters tr"));
            assertThat(rows).hasSize(4); // header + 3 masters
            List<String> roles = rows.stream().skip(1).map(row -> row.findElements(By.tagName("td")).get(2).getText())
                    .toList();
            assertThat(roles).containsExactlyInAnyOrder("LEADER", "FOLLOWER", "FOLLOWER");
            List<String> links = browser.findElements(By.cssSelector("table#masters a")).stream()
                    .map(a -> a.getAttribute("href")).toList();
            assertThat(links).hasSize(2).allMatch(href -> cluster.masters().stream()
                    .anyMatch(m -> m != follower && href.equals("http://" + WebUiTest.web(m) + "/")));

            // Follow the link to the leader's UI, then its navigation to the tables page.
            browser.findElement(By.cssSelector("a[href='http://" + WebUiTest.web(leader) + "/']")).click();
            assertThat(browser.getTitle()).startsWith("Masters - master " + leader.uuid());
            browser.findElement(By.linkText("Tables")).click();
            WebElement tableLink = browser.findElement(By.cssSelector("table#tables a"));
            assertThat(tableLink.getText()).isEqualTo(WebUiTest.NASTY_NAME); // shown as text, not markup
            assertThat(browser.findElements(By.tagName("i"))).isEmpty();
            tableLink.click();
            assertThat(browser.getCurrentUrl()).endsWith("/table?id=" + tableId);
            assertThat(browser.findElement(By.cssSelector("table#schema")).getText()).contains("id", "INT64");
            assertThat(browser.findElements(By.cssSelector("table#tablets tr"))).hasSize(2);

            browser.get("http://" + WebUiTest.web(cluster.tabletServer(0)) + "/");
            assertThat(browser.findElement(By.cssSelector("table#raft-groups")).getText()).contains("LEADER");
        } finally {
            browser.quit();
        }
    }
}
