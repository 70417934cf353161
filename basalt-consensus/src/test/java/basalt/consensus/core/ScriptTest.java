package basalt.consensus.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Goal: protocol stories (elections, stickiness, back-off, durability, membership, transfer, tablet copy)
 * read as scripts whose expected output is the specification (etcd's datadriven tests, in Java).
 * Method: each {@code src/test/resources/consensus/scripts/*.txt} is a sequence of blocks
 * <pre>
 * # comment
 * command args key=value key=(1,2)
 * ----
 * expected output, up to a blank line
 * </pre>
 * run against a fresh {@link ScriptCommands}. {@code -Dbasalt.script.rewrite=true} rewrites the expected
 * blocks from the actual output; review and commit only the diffs you understand.
 */
class ScriptTest {
    static final Path SCRIPTS = Path.of("src/test/resources/consensus/scripts");

    record Command(String name, List<String> args, Map<String, String> options, int line) {
        String arg(int position) {
            if (position >= args.size()) {
                throw new IllegalArgumentException("line " + line + ": " + name + " needs argument " + (position + 1));
            }
            return args.get(position);
        }

        int intArg(int position) {
            return Integer.parseInt(arg(position));
        }

        String option(String key, String fallback) {
            return options.getOrDefault(key, fallback);
        }

        int intOption(String key, int fallback) {
            return Integer.parseInt(option(key, Integer.toString(fallback)));
        }

        List<Integer> numbers(String key) {
            return options.containsKey(key) ? parseNumbers(options.get(key)) : List.of();
        }
    }

    /** One block: the comment and blank lines before it, the command line, the expected output. */
    record Block(List<String> preamble, String commandLine, int line, List<String> expected) {}

    @TestFactory
    Stream<DynamicTest> scripts() throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(SCRIPTS)) {
            files = listing.filter(path -> path.toString().endsWith(".txt")).sorted().toList();
        }
        assertThat(files).as("scripts in %s", SCRIPTS.toAbsolutePath()).isNotEmpty();
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> runScript(file)));
    }

    private static void runScript(Path file) throws IOException {
        String original = Files.readString(file, StandardCharsets.UTF_8);
        List<Block> blocks = parse(original, file);
        ScriptCommands commands = new ScriptCommands();
        StringBuilder rewritten = new StringBuilder();
        String firstMismatch = null;
        for (Block block : blocks) {
            List<String> actual;
            try {
                actual = commands.run(parseCommand(block.commandLine(), block.line()));
            } catch (RuntimeException e) {
                throw new AssertionError(file.getFileName() + ":" + block.line() + ": " + block.commandLine()
                        + " failed: " + e, e);
            }
            for (String line : block.preamble()) {
                rewritten.append(line).append('\n');
            }
            rewritten.append(block.commandLine()).append("\n----\n");
            for (String line : actual) {
                rewritten.append(line).append('\n');
            }
            rewritten.append('\n');
            if (firstMismatch == null && !actual.equals(block.expected())) {
                firstMismatch = file.getFileName() + ":" + block.line() + ": " + block.commandLine()
                        + "\nexpected:\n" + String.join("\n", block.expected())
                        + "\nactual:\n" + String.join("\n", actual);
            }
        }
        if (Boolean.getBoolean("basalt.script.rewrite")) {
            Files.writeString(file, rewritten.toString(), StandardCharsets.UTF_8);
            return;
        }
        if (firstMismatch != null) {
            throw new AssertionError(firstMismatch + "\n(rerun with -Dbasalt.script.rewrite=true to regenerate)");
        }
    }

    static List<Block> parse(String text, Path file) {
        List<String> lines = text.lines().toList();
        List<Block> blocks = new ArrayList<>();
        List<String> preamble = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                preamble.add(line);
                i++;
                continue;
            }
            int commandLine = i + 1;
            if (i + 1 >= lines.size() || !lines.get(i + 1).equals("----")) {
                throw new IllegalArgumentException(file + ":" + commandLine + ": expected ---- after '" + line + "'");
            }
            i += 2;
            List<String> expected = new ArrayList<>();
            while (i < lines.size() && !lines.get(i).isEmpty()) {
                expected.add(lines.get(i));
                i++;
            }
            i++; // the blank line that ends the block
            blocks.add(new Block(List.copyOf(preamble), line, commandLine, expected));
            preamble.clear();
        }
        // Trailing comments are kept by attaching them to nothing: scripts end with a block.
        return blocks;
    }

    static Command parseCommand(String line, int lineNumber) {
        List<String> tokens = new ArrayList<>();
        StringBuilder token = new StringBuilder();
        int depth = 0;
        for (char c : line.toCharArray()) {
            if (Character.isWhitespace(c) && depth == 0) {
                if (!token.isEmpty()) {
                    tokens.add(token.toString());
                    token.setLength(0);
                }
                continue;
            }
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            token.append(c);
        }
        if (!token.isEmpty()) {
            tokens.add(token.toString());
        }
        List<String> args = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        for (String part : tokens.subList(1, tokens.size())) {
            int equals = part.indexOf('=');
            if (equals > 0 && !part.startsWith("(")) {
                options.put(part.substring(0, equals), part.substring(equals + 1));
            } else {
                args.add(part);
            }
        }
        return new Command(tokens.get(0), List.copyOf(args), options, lineNumber);
    }

    /** "(1,2,3)", "2" or "()" to node numbers. */
    static List<Integer> parseNumbers(String text) {
        String inner = text.startsWith("(") ? text.substring(1, text.length() - 1) : text;
        List<Integer> numbers = new ArrayList<>();
        for (String part : inner.split(",")) {
            if (!part.isBlank()) {
                numbers.add(Integer.parseInt(part.trim()));
            }
        }
        return numbers;
    }
}
