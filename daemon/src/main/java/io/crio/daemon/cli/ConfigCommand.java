package io.crio.daemon.cli;

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
        if (defaults) {
            config = CrioConfig.defaults();
        } else {
            LoadedConfig loaded = parent.loadOrReport(spec.commandLine().getErr());
            if (loaded == null) {
                return 1;
            }
            loaded.warnings().forEach(w -> spec.commandLine().getErr().println("crio: warning: " + w));
            config = loaded.config();
        }
        out.print(TomlRenderer.render(config, CrioConfig.defaults()));
        out.flush();
        return 0;
    }
}
