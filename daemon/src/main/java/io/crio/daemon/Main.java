package io.crio.daemon;

import io.crio.daemon.cli.CrioCommand;

/** Entry point of the {@code crio} command. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        int code = CrioCommand.commandLine().execute(args);
        if (code != 0 || !CrioCommand.isServing()) {
            System.exit(code);
        }
    }

    /** For tests: runs a command line without exiting the JVM. */
    public static int run(String... args) {
        return CrioCommand.commandLine().execute(args);
    }

}
