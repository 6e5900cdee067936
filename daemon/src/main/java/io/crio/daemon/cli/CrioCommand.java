package io.crio.daemon.cli;

import io.crio.daemon.BuildInfo;
import io.crio.daemon.Daemon;
import io.crio.daemon.config.ConfigException;
import io.crio.daemon.config.ConfigLoader;
import io.crio.daemon.config.LoadedConfig;
import java.io.PrintWriter;

/**
 * {@code crio}: runs the daemon; {@code crio config}, {@code crio version} and {@code crio help} are its
 * subcommands. Exit codes: 0 done (or serving), 1 the command failed, 2 the command line is wrong.
 */
public final class CrioCommand {

    private static volatile boolean serving;

    private CrioCommand() {}

    /** Whether the daemon is running in this JVM (main must then not exit). */
    public static boolean isServing() {
        return serving;
    }

    /** Runs a command line, printing to {@code out} and {@code err}; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        try {
            return dispatch(args, out, err);
        } catch (RuntimeException e) {
            err.println("crio: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (e.getMessage() == null) {
                e.printStackTrace(err);
            }
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static int dispatch(String[] args, PrintWriter out, PrintWriter err) {
        CommandLineArgs parsed;
        try {
            parsed = CommandLineArgs.parse(args);
        } catch (UsageException e) {
            err.println("crio: " + e.getMessage());
            err.println("Run 'crio --help' for the options.");
            return 2;
        }
        if (parsed.help()) {
            out.print(Usage.of(parsed.command()));
            return 0;
        }
        if (parsed.version()) {
            out.println("crio version " + BuildInfo.current().version());
            return 0;
        }
        if (parsed.command() == null) {
            return runDaemon(parsed.options(), err);
        }
        if (parsed.command() == Subcommand.CONFIG) {
            return ConfigCommand.run(parsed.options(), parsed.has(Subcommand.DEFAULT), out, err);
        }
        if (parsed.command() == Subcommand.VERSION) {
            return VersionCommand.run(parsed.has(Subcommand.JSON), out);
        }
        if (parsed.helpTopic() == null) {
            out.print(Usage.of(null));
            return 0;
        }
        return Subcommand.named(parsed.helpTopic()).map(c -> {
            out.print(Usage.of(c));
            return 0;
        }).orElseGet(() -> {
            err.println("crio: unknown command: '" + parsed.helpTopic() + "'");
            return 2;
        });
    }

    /** What the options ask to load, and the configuration that gives. */
    record Loaded(ConfigLoader.Request request, LoadedConfig config) {}

    /** Loads the configuration the options ask for; on error prints it and returns null. */
    static Loaded loadOrReport(GlobalOptions options, PrintWriter err) {
        try {
            ConfigLoader.Request request = options.request();
            return new Loaded(request, ConfigLoader.load(request));
        } catch (ConfigException | IllegalArgumentException e) {
            err.println("crio: " + e.getMessage());
            return null;
        }
    }

    private static int runDaemon(GlobalOptions options, PrintWriter err) {
        Loaded loaded = loadOrReport(options, err);
        if (loaded == null) {
            return 1;
        }
        int code = new Daemon(loaded.request(), loaded.config()).start();
        serving = code == 0;
        return code;
    }
}
