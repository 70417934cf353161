package basalt.cli;

import basalt.consensus.core.Entry;
import basalt.consensus.wal.SegmentHeader;
import basalt.consensus.wal.WalReader;
import basalt.tablet.Schema;
import basalt.tablet.TabletException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code basalt wal ...}: offline tools over WAL files. */
@Command(name = "wal", mixinStandardHelpOptions = true, description = "Offline WAL tools.",
        subcommands = {WalCommand.Dump.class})
final class WalCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (try: basalt wal dump PATH)");
    }

    /**
     * {@code basalt wal dump PATH}: every record of a segment file or of a WAL directory, read with the
     * same {@link WalReader} framing as recovery, without changing anything on disk. A frame that does
     * not decode is printed (recovery decides whether it is a torn tail or corruption).
     */
    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Print every entry of a WAL segment file or directory: offset, OpId, type, payload size, "
                    + "and what it holds (row operations with their values, catalog changes, membership).")
    static final class Dump implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "PATH", description = "A segment file (wal-*.log), a WAL directory, or a group's directory (FS_WAL_DIR/<tablet id>).")
        Path path;

        @Option(names = "--schema", description = "Name the columns of a tablet's rows with this schema spec "
                + "(as in table create); default: columns by index, c0, c1, ...")
        String schemaSpec;

        @Option(names = "--catalog", description = "Read entries as catalog changes (default: when the path is under a "
                + "'catalog' directory).")
        boolean catalog;

        @Override
        public Integer call() throws Exception {
            if (!Files.exists(path)) {
                throw new NoSuchFileException(path.toString(), null, "no such WAL file or directory");
            }
            Schema schema;
            try {
                schema = schemaSpec == null ? null : Schema.parse(schemaSpec);
            } catch (TabletException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--schema: " + e.getMessage());
            }
            boolean isCatalog = catalog || underCatalog(path);
            WalEntryRenderer renderer = new WalEntryRenderer(isCatalog, schema);
            PrintWriter out = spec.commandLine().getOut();
            // A group's directory (FS_WAL_DIR/<tablet id>, as an operator finds it) keeps its segments in wal/.
            Path segments = Files.isDirectory(path.resolve("wal")) ? path.resolve("wal") : path;
            long records = WalReader.scan(segments, new WalReader.Visitor() {
                @Override
                public void onSegment(Path file, SegmentHeader header) {
                    out.printf("segment %s sequence=%d first_index=%d prev_op_id=%s%s%n", file, header.sequence(),
                            header.firstIndex(), header.prevOpId(), header.logStart() ? " log_start" : "");
                }

                @Override
                public void onRecord(Path file, long offsetBytes, Entry entry) {
                    String rendered = renderer.render(entry);
                    out.printf("  offset=%d op_id=%s type=%s payload_bytes=%d%s%n", offsetBytes, entry.opId(),
                            entry.type(), entry.payload().size(), rendered.isEmpty() ? "" : " " + rendered);
                }

                @Override
                public void onBadFrame(Path file, long offsetBytes, String reason) {
                    out.printf("  offset=%d BAD FRAME: %s (a torn tail if nothing valid follows in the last segment)%n",
                            offsetBytes, reason);
                }
            });
            out.printf("%d records%n", records);
            out.flush();
            return 0;
        }

        private static boolean underCatalog(Path path) {
            for (Path part : path.toAbsolutePath().normalize()) {
                if (part.toString().equals("catalog")) {
                    return true;
                }
            }
            return false;
        }
    }
}
