package basalt.cli;

import basalt.common.net.HostPort;
import java.util.ArrayList;
import java.util.List;

/** {@code --master_addresses A,B,C}: comma-separated host:port, parsed once for every command that takes it. */
final class MasterAddresses {
    private MasterAddresses() {}

    /** Parses the list; blank or missing text is no masters. Throws IllegalArgumentException naming the bad entry. */
    static List<HostPort> parse(String text) {
        List<HostPort> addresses = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return addresses;
        }
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                HostPort address = HostPort.parse(part.trim());
                if (!addresses.contains(address)) {
                    addresses.add(address);
                }
            }
        }
        return addresses;
    }
}
