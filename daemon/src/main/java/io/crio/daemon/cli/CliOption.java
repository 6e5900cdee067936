package io.crio.daemon.cli;

import java.util.List;

/**
 * One option of the {@code crio} command line.
 *
 * @param names its spellings, short ones first ({@code -c}, {@code --config})
 * @param label what its value is, for the help text ({@code FILE}); empty for a flag that takes none
 * @param description the help text
 * @param key the configuration key it sets ({@code crio.runtime.log_level}); null for an option that is not
 *     a configuration value
 * @param kind how its value is read
 * @param defaultValue its value when not given, shown in the help text; null when it has none
 */
public record CliOption(List<String> names, String label, String description, String key, Kind kind,
                        String defaultValue) {

    /** How an option's value is read. */
    public enum Kind {
        /** One string; the last one given wins. */
        TEXT,
        /** One integer; the last one given wins. */
        INTEGER,
        /** {@code --name} alone is true; {@code --name=false} or {@code --name false} gives false. */
        BOOLEAN,
        /** May be repeated; every value is kept, in order. */
        REPEATED,
        /** A flag without a value, of a subcommand ({@code --json}). */
        SWITCH
    }

    public CliOption {
        names = List.copyOf(names);
    }

    static CliOption text(String key, String label, String description, String... names) {
        return new CliOption(List.of(names), label, description, key, Kind.TEXT, null);
    }

    /** The long name, which identifies the option. */
    public String name() {
        return names.getLast();
    }
}
