package basalt.common.net;

import basalt.common.check.Check;

/** A server address as operators write it: {@code host:port}. */
public record HostPort(String host, int port) {
    public HostPort {
        Check.arg(host != null && !host.isBlank(), "host must not be blank");
        Check.arg(port >= 0 && port <= 65535, "port %s out of range", port);
    }

    /** Parses {@code host:port}; the error names the text that did not parse. */
    public static HostPort parse(String text) {
        int colon = text == null ? -1 : text.lastIndexOf(':');
        Check.arg(colon > 0 && colon < text.length() - 1, "'%s' is not host:port", text);
        try {
            return new HostPort(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has a port that is not a number", e);
        }
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
