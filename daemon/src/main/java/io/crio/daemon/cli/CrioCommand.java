package io.crio.daemon.cli;

import io.crio.daemon.BuildInfo;
import io.crio.daemon.Daemon;
import io.crio.daemon.config.ConfigException;
import io.crio.daemon.config.ConfigLoader;
import io.crio.daemon.config.LoadedConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code crio}: runs the daemon; {@code crio config} and {@code crio version} are its subcommands. */
@Command(name = "crio",
        description = "OCI-based implementation of the Kubernetes Container Runtime Interface.",
        mixinStandardHelpOptions = true,
        versionProvider = CrioCommand.Version.class,
        subcommands = {ConfigCommand.class, VersionCommand.class, CommandLine.HelpCommand.class})
public final class CrioCommand implements Callable<Integer> {

    private static volatile boolean serving;

    @Mixin
    GlobalOptions options;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new CrioCommand());
        cl.setOverwrittenOptionsAllowed(true);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("crio: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (e.getMessage() == null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    /** Whether the daemon is running in this JVM (main must then not exit). */
    public static boolean isServing() {
        return serving;
    }

    GlobalOptions options() {
        return options;
    }

    /** Loads the configuration; on error prints it and returns null. */
    LoadedConfig loadOrReport(PrintWriter err) {
        try {
            return ConfigLoader.load(options.request());
        } catch (ConfigException | IllegalArgumentException e) {
            err.println("crio: " + e.getMessage());
            return null;
        }
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        LoadedConfig loaded = loadOrReport(err);
        if (loaded == null) {
            return 1;
        }
        Daemon daemon = new Daemon(options.request(), loaded);
        int code = daemon.start();
        serving = code == 0;
        return code;
    }

    /** {@code crio --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"crio version " + BuildInfo.current().version()};
        }
    }
}
