package basalt.itest.web;

import basalt.common.net.HostPort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fetches a server's web pages and reads samples out of its /metrics text. */
final class Web {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$");

    private Web() {}

    record Page(int status, String contentType, String body) {}

    static Page get(HostPort web, String pathAndQuery) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + web + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Page(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                    response.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("GET http://" + web + pathAndQuery, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every sample of {@code name} whose label text contains all of {@code labelParts} (e.g. {@code group="catalog"}). */
    static List<Double> samples(String metricsText, String name, String... labelParts) {
        List<Double> values = new ArrayList<>();
        for (String line : metricsText.split("\n")) {
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches() || !sample.group(1).equals(name)) {
                continue;
            }
            String labels = sample.group(2) == null ? "" : sample.group(2);
            boolean all = true;
            for (String part : labelParts) {
                all &= labels.contains(part);
            }
            if (all) {
                values.add(Double.parseDouble(sample.group(3).replace("+Inf", "Infinity")));
            }
        }
        return values;
    }

    /** The single matching sample's value, if there is exactly one. */
    static OptionalDouble value(String metricsText, String name, String... labelParts) {
        List<Double> values = samples(metricsText, name, labelParts);
        return values.size() == 1 ? OptionalDouble.of(values.get(0)) : OptionalDouble.empty();
    }

    static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }
}
