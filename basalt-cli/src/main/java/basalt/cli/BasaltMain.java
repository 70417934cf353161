package basalt.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code basalt} command. Exit codes (CLI.md): 0 success, 1 an operation failed (one line on
 * stderr naming why), 2 usage error. Flags are declared with Kudu's underscore spelling
 * ({@code --fs_wal_dir}); {@link #normalizeFlags} maps the dash spelling onto it, so both work for
 * every subcommand without declaring each name twice.
 */
@Command(name = "basalt", mixinStandardHelpOptions = true, version = "basalt 0.1.0-SNAPSHOT",
        description = "Basalt: a Raft-replicated distributed table store.",
        subcommands = {PerfCommand.class, WalCommand.class, TserverCommand.class, MasterCommand.class,
                LocalClusterCommand.class,
                TableCommand.class, ClusterCommand.class, TabletCommand.class, ConsensusCommand.class,
                WorkloadCommand.class})
public final class BasaltMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    public static void main(String[] args) {
        // Tools: people read stdout, so only warnings (a torn tail cut by recovery, say) go to stderr.
        // Servers: their log is what an operator reads after a failover, so it says what happened.
        boolean server = args.length > 0 && (args[0].equals("master") || args[0].equals("tserver"))
                && (args.length < 2 || args[1].startsWith("-"));
        Logging.toStderr(server);
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line with the given streams and returns the exit code; tests call this in-process. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new BasaltMain());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) -> {
            String message = exception.getMessage() == null ? exception.toString() : exception.getMessage();
            failed.getErr().println("basalt " + failed.getCommandName() + ": " + message.replace('\n', ' '));
            return 1;
        });
        return commandLine.execute(normalizeFlags(args));
    }

    /** {@code --flag-name[=value]} becomes {@code --flag_name[=value]}; values and {@code --} are untouched. */
    static String[] normalizeFlags(String[] args) {
        String[] normalized = Arrays.copyOf(args, args.length);
        for (int i = 0; i < normalized.length; i++) {
            String arg = normalized[i];
            if (arg.equals("--")) {
                break; // everything after is positional
            }
            if (arg.startsWith("--") && arg.length() > 2) {
                int equals = arg.indexOf('=');
                String name = equals < 0 ? arg.substring(2) : arg.substring(2, equals);
                String rest = equals < 0 ? "" : arg.substring(equals);
                normalized[i] = "--" + name.replace('-', '_') + rest;
            }
        }
        return normalized;
    }
}
