package io.crio.daemon.cli;

import io.crio.daemon.config.ConfigException;
import io.crio.daemon.config.ConfigLoader;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.LoadedConfig;
import io.crio.daemon.config.TomlRenderer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code crio config}: prints the effective configuration (or the built-in defaults) as TOML. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Print the effective configuration as commented TOML; options at their default are "
                + "commented out. The output can be used as /etc/crio/crio.conf.")
final class ConfigCommand implements Callable<Integer> {

    @ParentCommand
    CrioCommand parent;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--default", description = "Print the built-in default configuration, ignoring files and flags.")
    boolean defaults;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        CrioConfig config;
        CrioConfig base = CrioConfig.defaults();
        if (defaults) {
            config = CrioConfig.defaults();
        } else {
            LoadedConfig loaded = parent.loadOrReport(spec.commandLine().getErr());
            if (loaded == null) {
                return 1;
            }
            loaded.warnings().forEach(w -> spec.commandLine().getErr().println("crio: warning: " + w));
            config = loaded.config();
            // what loading an empty file gives on this host (built-in plus host defaults): values equal to it
            // are commented out, so the output loads back to the same configuration here
            try {
                base = ConfigLoader.layer(parent.options().hostDefaultsSource()).config();
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("crio: " + e.getMessage());
                return 1;
            }
        }
        out.print(TomlRenderer.render(config, base));
        out.flush();
        return 0;
    }
}
