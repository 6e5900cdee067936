package io.crio.daemon.cli;

import io.crio.daemon.cli.CliOption.Kind;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed {@code crio} command line: {@code [OPTIONS] [COMMAND] [OPTIONS]}, options as {@code --name value},
 * {@code --name=value} or {@code -n value}; the last value of an option wins unless it may be repeated.
 *
 * @param command the subcommand, or null to run the daemon
 * @param options the global options' values
 * @param switches the subcommand's switches that were given
 * @param help whether help was asked for ({@code -h}, {@code --help})
 * @param version whether the version was asked for ({@code -V}, {@code --version})
 * @param helpTopic the subcommand named after {@code help}, or null
 */
record CommandLineArgs(Subcommand command, GlobalOptions options, Set<CliOption> switches, boolean help,
                       boolean version, String helpTopic) {

    /** Asks for the help text, of crio or of the subcommand given. */
    static final CliOption HELP = new CliOption(List.of("-h", "--help"), "",
            "Show this help message and exit.", null, Kind.SWITCH, null);
    /** Asks for the version. */
    static final CliOption VERSION = new CliOption(List.of("-V", "--version"), "",
            "Print version information and exit.", null, Kind.SWITCH, null);

    static CommandLineArgs parse(String... args) throws UsageException {
        Subcommand command = null;
        GlobalOptions options = new GlobalOptions();
        Set<CliOption> switches = new HashSet<>();
        boolean help = false;
        boolean version = false;
        String topic = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-")) {
                if (command == null) {
                    String name = arg;
                    command = Subcommand.named(name).orElseThrow(() -> new UsageException("unknown command: '" + name + "'"));
                } else if (command == Subcommand.HELP && topic == null) {
                    topic = arg;
                } else {
                    throw new UsageException("unexpected argument at index " + i + ": '" + arg + "'");
                }
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            String inline = eq > 0 ? arg.substring(eq + 1) : null;
            if (HELP.names().contains(name)) {
                help = true;
                continue;
            }
            if (VERSION.names().contains(name)) {
                version = true;
                continue;
            }
            CliOption option = find(command, name)
                    .orElseThrow(() -> new UsageException("unknown option: '" + name + "'"));
            switch (option.kind()) {
                case SWITCH -> {
                    if (inline != null) {
                        throw new UsageException("option '" + name + "' takes no value");
                    }
                    switches.add(option);
                }
                case BOOLEAN -> {
                    String value = inline;
                    if (value == null && i + 1 < args.length && isBoolean(args[i + 1])) {
                        value = args[++i];
                    }
                    if (value != null && !isBoolean(value)) {
                        throw new UsageException("invalid value for option '" + name + "': '" + value
                                + "' is not a boolean (true or false)");
                    }
                    options.set(option, value == null ? "true" : value.toLowerCase(java.util.Locale.ROOT));
                }
                default -> {
                    String value = inline;
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new UsageException("option '" + name + "' needs a value (" + option.label() + ")");
                        }
                        value = args[++i];
                    }
                    if (option.kind() == Kind.INTEGER && !isInteger(value)) {
                        throw new UsageException("invalid value for option '" + name + "': '" + value
                                + "' is not an integer");
                    }
                    options.set(option, value);
                }
            }
        }
        return new CommandLineArgs(command, options, Set.copyOf(switches), help, version, topic);
    }

    boolean has(CliOption option) {
        return switches.contains(option);
    }

    private static Optional<CliOption> find(Subcommand command, String name) {
        for (List<CliOption> options : List.of(command == null ? List.<CliOption>of() : command.options(),
                GlobalOptions.ALL)) {
            for (CliOption o : options) {
                if (o.names().contains(name)) {
                    return Optional.of(o);
                }
            }
        }
        return Optional.empty();
    }

    private static boolean isBoolean(String s) {
        return s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false");
    }

    private static boolean isInteger(String s) {
        try {
            Integer.parseInt(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
