package io.crio.daemon.cli;

import io.crio.daemon.cli.CliOption.Kind;
import java.util.List;
import java.util.Optional;

/**
 * A subcommand of {@code crio}, with the options only it takes; the global options are taken before or
 * after its name.
 */
record Subcommand(String name, String description, List<CliOption> options) {

    static final CliOption DEFAULT = new CliOption(List.of("--default"), "",
            "Print the built-in default configuration, ignoring files and flags.", null, Kind.SWITCH, null);
    static final CliOption JSON = new CliOption(List.of("-j", "--json"), "", "Print as JSON.", null, Kind.SWITCH, null);

    static final Subcommand CONFIG = new Subcommand("config",
            "Print the effective configuration as commented TOML; options at their default are commented out. "
                    + "The output can be used as /etc/crio/crio.conf.", List.of(DEFAULT));
    static final Subcommand VERSION = new Subcommand("version", "Print version information.", List.of(JSON));
    static final Subcommand HELP = new Subcommand("help", "Display help information about the specified command.",
            List.of());

    static final List<Subcommand> ALL = List.of(CONFIG, VERSION, HELP);

    Subcommand {
        options = List.copyOf(options);
    }

    static Optional<Subcommand> named(String name) {
        for (Subcommand c : ALL) {
            if (c.name.equals(name)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
