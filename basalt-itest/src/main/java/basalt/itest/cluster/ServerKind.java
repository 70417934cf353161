package basalt.itest.cluster;

/** The kinds of Basalt server process, each the subcommand of {@code basalt.cli.BasaltMain} that runs it. */
public enum ServerKind {
    /** A catalog replica; it binds a fixed port, its identity in the master list. */
    MASTER("master", "m"),
    TABLET_SERVER("tserver", "ts");

    private final String subcommand;
    private final String shortName;

    ServerKind(String subcommand, String shortName) {
        this.subcommand = subcommand;
        this.shortName = shortName;
    }

    /** The first argument of the server's command line, as in {@code basalt tserver --fs_wal_dir ...}. */
    public String subcommand() {
        return subcommand;
    }

    /** The prefix of process names: {@code ts-0}, {@code m-2}. */
    public String shortName() {
        return shortName;
    }
}
