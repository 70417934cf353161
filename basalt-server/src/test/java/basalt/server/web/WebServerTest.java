package basalt.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.server.metrics.MetricRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WebServerTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private WebServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + server.address() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pagesEscapeWhatUsersNamedAndLinkEncodedQueries() throws Exception {
        MetricRegistry metrics = new MetricRegistry();
        server = new WebServer("test <server>", metrics)
                .page("/", "Home", query -> Html.table("names", "name", "link")
                        .row("<script>alert(1)</script>", Html.link(Html.url("/t", "id", "a&b c"), "x\"y")).toHtml())
                .detailPage("/t", "T", query -> Html.paragraph("id=" + query.get("id")))
                .start("127.0.0.1", 0);

        HttpResponse<String> home = get("/");
        assertThat(home.statusCode()).isEqualTo(200);
        assertThat(home.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(home.body())
                .contains("<h1>test &lt;server&gt;</h1>")
                .contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>")
                .contains("<a href=\"/t?id=a%26b+c\">x&quot;y</a>")
                .doesNotContain("<script>")
                .contains("<a href=\"/\">Home</a><a href=\"/metrics\">Metrics</a>"); // the detail page /t is not in the nav
        assertThat(get("/t?id=a%26b+c").body()).contains("<p>id=a&amp;b c</p>");
    }

    @Test
    void unknownPagesAre404BadParametersAre400AndFailuresAre500() throws Exception {
        server = new WebServer("s", new MetricRegistry())
                .page("/bad", "Bad", query -> {
                    throw new IllegalArgumentException("needs <id>");
                })
                .page("/broken", "Broken", query -> {
                    throw new IllegalStateException("disk gone");
                })
                .start("127.0.0.1", 0);

        assertThat(get("/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> bad = get("/bad");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("Bad request: needs &lt;id&gt;");
        HttpResponse<String> broken = get("/broken");
        assertThat(broken.statusCode()).isEqualTo(500);
        assertThat(broken.body()).contains("disk gone");
    }

    @Test
    void metricsAreServedInTheExpositionFormat() throws Exception {
        MetricRegistry metrics = new MetricRegistry();
        metrics.counter("basalt_test_total", "a test counter").add(5);
        server = new WebServer("s", metrics).start("127.0.0.1", 0);

        HttpResponse<String> scrape = get("/metrics");
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(scrape.body()).contains("# TYPE basalt_test_total counter\nbasalt_test_total 5\n");
    }

    @Test
    void theLogRingKeepsTheNewestLines() {
        RecentLogLines ring = new RecentLogLines(3);
        for (int i = 1; i <= 5; i++) {
            ring.append("line " + i);
        }
        assertThat(ring.snapshot()).containsExactly("line 3", "line 4", "line 5");
        assertThat(ring.appended()).isEqualTo(5);
    }
}
