package basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.common.net.HostPort;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: {@code basalt master} refuses, as a usage error (exit 2) naming why, every command line that could
 * not give a master its identity: no bind, a bind outside the master list, an address that does not parse.
 * Method: in-process command lines that fail before any server starts.
 */
class MasterCommandTest {
    @TempDir
    Path dir;

    @Test
    void rpcBindIsRequired() {
        Result result = run("master", "--master_addresses", "127.0.0.1:7051", "--fs_wal_dir", dir.toString(),
                "--fs_data_dir", dir.toString());
        assertThat(result.exitCode).isEqualTo(2);
        assertThat(result.err).contains("--rpc_bind");
    }

    @Test
    void rpcBindMustBeOneOfTheMasters() {
        Result result = run("master", "--master-addresses", "127.0.0.1:7051,127.0.0.1:7052", "--fs_wal_dir",
                dir.toString(), "--fs_data_dir", dir.toString(), "--rpc_bind", "127.0.0.1:7053");
        assertThat(result.exitCode).isEqualTo(2);
        assertThat(result.err).contains("127.0.0.1:7053 is not one of --master_addresses");
    }

    @Test
    void aMalformedMasterAddressIsAUsageError() {
        Result result = run("master", "--master_addresses", "127.0.0.1:7051,nope", "--fs_wal_dir", dir.toString(),
                "--fs_data_dir", dir.toString(), "--rpc_bind", "127.0.0.1:7051");
        assertThat(result.exitCode).isEqualTo(2);
        assertThat(result.err).contains("'nope' is not host:port");
    }

    @Test
    void masterAddressesParseInOrderWithoutDuplicatesOrBlanks() {
        assertThat(MasterAddresses.parse("a:1, b:2,,a:1")).containsExactly(new HostPort("a", 1), new HostPort("b", 2));
        assertThat(MasterAddresses.parse(null)).isEmpty();
        assertThat(MasterAddresses.parse(" ")).isEmpty();
        assertThatThrownBy(() -> MasterAddresses.parse("a:x")).isInstanceOf(IllegalArgumentException.class);
    }

    private record Result(int exitCode, String err) {}

    private static Result run(String... args) {
        StringWriter err = new StringWriter();
        int exitCode = BasaltMain.execute(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        return new Result(exitCode, err.toString());
    }
}
