package basalt.cli;

import basalt.common.net.HostPort;
import basalt.proto.MasterEntryPB;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code basalt master list|add|remove}: the master group, online (CLI.md). */
final class MasterAdminCommands {
    private MasterAdminCommands() {}

    /** The flags every admin subcommand shares. */
    static class Connection {
        @Option(names = {"-m", "--master_addresses"}, required = true, description = "Current masters: host:port,host:port,...")
        String masters;

        @Option(names = "--timeout_ms", defaultValue = "60000", description = "Give up after this long (default ${DEFAULT-VALUE}).")
        long timeoutMs;

        List<HostPort> masters(CommandLine commandLine) {
            try {
                return MasterAddresses.parse(masters);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, e.getMessage());
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Each master: uuid, rpc address, role, term.")
    static final class ListCommand extends Connection implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--format", defaultValue = "text", description = "text or json")
        String format;

        @Override
        public Integer call() {
            List<MasterEntryPB> masters = MasterAdmin.list(masters(spec.commandLine()), Duration.ofMillis(timeoutMs));
            StringBuilder out = new StringBuilder();
            if (format.equals("json")) {
                out.append('[');
                for (int i = 0; i < masters.size(); i++) {
                    MasterEntryPB master = masters.get(i);
                    out.append(i == 0 ? "" : ", ").append(String.format(
                            "{\"uuid\": \"%s\", \"rpc_address\": \"%s:%d\", \"role\": \"%s\", \"term\": %d}",
                            master.getUuid(), master.getRpcAddress().getHost(), master.getRpcAddress().getPort(),
                            master.getRole(), master.getTerm()));
                }
                out.append(']');
            } else {
                out.append(String.format("%-34s %-22s %-9s %s%n", "uuid", "rpc_address", "role", "term"));
                for (MasterEntryPB master : masters) {
                    out.append(String.format("%-34s %-22s %-9s %d%n", master.getUuid(),
                            master.getRpcAddress().getHost() + ":" + master.getRpcAddress().getPort(),
                            master.getRole(), master.getTerm()));
                }
            }
            spec.commandLine().getOut().println(out.toString().stripTrailing());
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a running, empty master (started with every current master in --master_addresses).")
    static final class AddCommand extends Connection implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "The new master's host:port.")
        String newMaster;

        @Override
        public Integer call() {
            HostPort address = parse(spec.commandLine(), newMaster);
            String uuid = MasterAdmin.add(masters(spec.commandLine()), address, Duration.ofMillis(timeoutMs));
            spec.commandLine().getOut().println("added master " + uuid + " at " + address);
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a master from the group.")
    static final class RemoveCommand extends Connection implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "The master's host:port.")
        String master;

        @Override
        public Integer call() {
            HostPort address = parse(spec.commandLine(), master);
            MasterAdmin.remove(masters(spec.commandLine()), address, Duration.ofMillis(timeoutMs));
            spec.commandLine().getOut().println("removed master at " + address);
            return 0;
        }
    }

    private static HostPort parse(CommandLine commandLine, String text) {
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, e.getMessage());
        }
    }
}
