package io.crio.daemon;

import io.crio.daemon.cli.CrioCommand;
import java.io.PrintWriter;

/** Entry point of the {@code crio} command. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0 || !CrioCommand.isServing()) {
            System.exit(code);
        }
    }

    /** Runs a command line on the standard streams without exiting the JVM. */
    public static int run(String... args) {
        return CrioCommand.run(args, new PrintWriter(System.out), new PrintWriter(System.err));
    }

}
