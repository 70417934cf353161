package basalt.server.web;

import basalt.common.net.HostPort;
import basalt.server.metrics.MetricRegistry;
import basalt.server.metrics.PrometheusText;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's web UI: plain HTML pages that need no JavaScript, and {@code /metrics} in the Prometheus text
 * format, on the JDK's own HTTP server. Two threads of its own: a slow browser never holds up RPCs, and
 * the pages read in-memory state only. Pages are registered with a title before {@link #start}; the ones
 * with a title appear in every page's navigation bar.
 */
public final class WebServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);
    private static final String STYLE = "body{font-family:sans-serif;margin:1em 2em}"
            + "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #bbb;padding:2px 8px;text-align:left}"
            + "th{background:#eee}nav a{margin-right:1em}pre{background:#f6f6f6;padding:0.5em;overflow-x:auto}";

    private final String serverTitle;
    private final Map<String, String> titles = new LinkedHashMap<>();
    /** The pages in the navigation bar, in order. */
    private final Map<String, String> navigation = new LinkedHashMap<>();
    private final Map<String, WebPage> pages = new LinkedHashMap<>();
    private final MetricRegistry metrics;
    private HttpServer http;
    private ExecutorService threads;

    /** {@code serverTitle} heads every page, e.g. "master 3f2a… (127.0.0.1:7051)". */
    public WebServer(String serverTitle, MetricRegistry metrics) {
        this.serverTitle = serverTitle;
        this.metrics = metrics;
    }

    /** Adds a page at {@code path} ("/tables"), linked from the navigation bar. */
    public WebServer page(String path, String title, WebPage page) {
        detailPage(path, title, page);
        navigation.put(path, title);
        return this;
    }

    /** Adds a page reached by links from other pages only (one table, one tablet). */
    public WebServer detailPage(String path, String title, WebPage page) {
        basalt.common.check.Check.arg(path.startsWith("/") && !pages.containsKey(path) && !path.equals("/metrics"),
                "web page path %s must start with / and be new", path);
        pages.put(path, page);
        titles.put(path, title);
        return this;
    }

    /** Binds {@code host:port} (port 0: the OS chooses) and serves. */
    public WebServer start(String host, int port) throws IOException {
        navigation.put("/metrics", "Metrics");
        http = HttpServer.create(new InetSocketAddress(host, port), 16);
        AtomicInteger count = new AtomicInteger();
        threads = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "web-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        http.setExecutor(threads);
        http.createContext("/", this::handle);
        http.start();
        LOG.info("web UI on http://{}", address());
        return this;
    }

    public HostPort address() {
        return new HostPort(http.getAddress().getHostString(), http.getAddress().getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                send(exchange, 405, "text/plain; charset=utf-8", "only GET is served\n");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/metrics")) {
                send(exchange, 200, PrometheusText.CONTENT_TYPE, PrometheusText.render(metrics));
                return;
            }
            WebPage page = pages.get(path);
            if (page == null) {
                send(exchange, 404, "text/html; charset=utf-8",
                        layout("Not found", Html.paragraph("No page " + path + " here.")));
                return;
            }
            String title = titles.getOrDefault(path, path);
            Html.Raw body;
            int status = 200;
            try {
                body = page.render(query(exchange.getRequestURI().getRawQuery()));
            } catch (IllegalArgumentException e) {
                status = 400;
                body = Html.paragraph("Bad request: " + e.getMessage());
            } catch (Exception e) {
                LOG.warn("web page {} failed", path, e);
                status = 500;
                body = Html.paragraph("This page failed: " + e);
            }
            send(exchange, status, "text/html; charset=utf-8", layout(title, body));
        } catch (IOException | RuntimeException e) {
            LOG.debug("web request failed", e); // the browser went away; nothing to answer
        }
    }

    private String layout(String title, Html.Raw body) {
        StringBuilder nav = new StringBuilder("<nav>");
        navigation.forEach((path, name) -> nav.append(Html.link(path, name)));
        nav.append("</nav>");
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + Html.escape(title + " - " + serverTitle)
                + "</title><style>" + STYLE + "</style></head><body>\n<h1>" + Html.escape(serverTitle) + "</h1>\n"
                + nav + "\n<h2>" + Html.escape(title) + "</h2>\n" + body.html() + "\n</body></html>\n";
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return parameters;
        }
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            parameters.putIfAbsent(name, value);
        }
        return parameters;
    }

    private static void send(HttpExchange exchange, int status, String contentType, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
            threads.shutdownNow();
        }
    }
}
