package basalt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code basalt perf ...}: measurements of this machine and this build. */
@Command(name = "perf", mixinStandardHelpOptions = true, description = "Performance measurements.",
        subcommands = {PerfWalCommand.class, PerfLoadgenCommand.class})
final class PerfCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (wal, loadgen)");
    }
}
