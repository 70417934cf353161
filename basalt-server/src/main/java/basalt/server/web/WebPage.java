package basalt.server.web;

import java.util.Map;

/**
 * One page of a server's web UI: renders its body from the query parameters. A page answers fast from
 * in-memory state; it may throw {@link IllegalArgumentException} for a bad parameter (the server answers
 * 400 with the message) and anything else for a failure (500).
 */
@FunctionalInterface
public interface WebPage {
    Html.Raw render(Map<String, String> query) throws Exception;
}
