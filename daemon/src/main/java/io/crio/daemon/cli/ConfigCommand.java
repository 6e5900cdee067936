package io.crio.daemon.cli;

import io.crio.daemon.config.ConfigException;
import io.crio.daemon.config.ConfigLoader;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.LoadedConfig;
import io.crio.daemon.config.TomlRenderer;
import java.io.PrintWriter;

/** {@code crio config}: prints the effective configuration (or the built-in defaults) as TOML. */
final class ConfigCommand {

    private ConfigCommand() {}

    static int run(GlobalOptions options, boolean defaults, PrintWriter out, PrintWriter err) {
        CrioConfig config;
        CrioConfig base = CrioConfig.defaults();
        if (defaults) {
            config = CrioConfig.defaults();
        } else {
            CrioCommand.Loaded given = CrioCommand.loadOrReport(options, err);
            if (given == null) {
                return 1;
            }
            LoadedConfig loaded = given.config();
            loaded.warnings().forEach(w -> err.println("crio: warning: " + w));
            config = loaded.config();
            // what loading an empty file gives on this host (built-in plus host defaults): values equal to it
            // are commented out, so the output loads back to the same configuration here
            try {
                base = ConfigLoader.layer(options.hostDefaultsSource()).config();
            } catch (ConfigException e) {
                err.println("crio: " + e.getMessage());
                return 1;
            }
        }
        out.print(TomlRenderer.render(config, base));
        return 0;
    }
}
