package io.crio.daemon.cli;

import java.util.ArrayList;
import java.util.List;

/** The help text of {@code crio} and of its subcommands, from their option tables. */
final class Usage {

    static final String DESCRIPTION = "OCI-based implementation of the Kubernetes Container Runtime Interface.";

    private Usage() {}

    /** The help text of the command ({@code null} for {@code crio} itself). */
    static String of(Subcommand command) {
        StringBuilder out = new StringBuilder();
        if (command == null) {
            out.append("Usage: crio [-hV] [OPTIONS] [COMMAND]\n").append(DESCRIPTION).append('\n');
            options(out, "Options:", withStandard(GlobalOptions.ALL));
            out.append("Commands:\n");
            int width = Subcommand.ALL.stream().mapToInt(c -> c.name().length()).max().orElse(0) + 2;
            for (Subcommand c : Subcommand.ALL) {
                out.append("  ").append(pad(c.name(), width)).append(c.description()).append('\n');
            }
            out.append("The options may also follow the command. Run 'crio help COMMAND' for a command's own options.\n");
        } else {
            out.append("Usage: crio ").append(command.name()).append(" [-hV]");
            for (CliOption o : command.options()) {
                out.append(" [").append(o.name()).append(']');
            }
            out.append(command == Subcommand.HELP ? " [COMMAND]" : " [OPTIONS]").append('\n');
            out.append(command.description()).append('\n');
            options(out, "Options:", withStandard(command.options()));
            if (command != Subcommand.HELP) {
                out.append("It also takes the options of crio (see 'crio --help').\n");
            }
        }
        return out.toString();
    }

    private static List<CliOption> withStandard(List<CliOption> options) {
        List<CliOption> all = new ArrayList<>(options);
        all.add(CommandLineArgs.HELP);
        all.add(CommandLineArgs.VERSION);
        return all;
    }

    private static void options(StringBuilder out, String title, List<CliOption> options) {
        List<String> heads = new ArrayList<>();
        for (CliOption o : options) {
            boolean hasShort = o.names().size() > 1;
            String head = (hasShort ? String.join(", ", o.names()) : "    " + o.name())
                    + (o.label().isEmpty() ? "" : (o.kind() == CliOption.Kind.BOOLEAN ? "[=" + o.label() + "]"
                            : "=" + o.label()));
            heads.add(head);
        }
        int width = heads.stream().mapToInt(String::length).max().orElse(0) + 2;
        out.append(title).append('\n');
        for (int i = 0; i < options.size(); i++) {
            CliOption o = options.get(i);
            out.append("  ").append(pad(heads.get(i), width)).append(describe(o)).append('\n');
        }
    }

    /** The option's help text, with its default value when it has one. */
    private static String describe(CliOption o) {
        String d = o.description();
        if (o.defaultValue() == null) {
            return d;
        }
        String text = d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
        return text + " (default: " + o.defaultValue() + ").";
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(1, width - s.length()));
    }
}
