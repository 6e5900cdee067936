package io.crio.daemon.config;

import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Renders configuration records as commented TOML, the way {@code crio config} prints them: every
 * option with its description; options equal to the built-in default are commented out, so the output
 * documents everything yet sets only what differs. Loading the output back yields the same configuration.
 */
public final class TomlRenderer {

    private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private TomlRenderer() {}

    /** The TOML text of {@code config}, commenting out what equals {@code defaults}. */
    public static String render(CrioConfig config, CrioConfig defaults) {
        StringBuilder out = new StringBuilder();
        out.append("# The CRI-O configuration file of the crio daemon.\n")
                .append("#\n")
                .append("# Options that are commented out hold their built-in default value; uncomment\n")
                .append("# and change one to override it. Drop-in files in /etc/crio/crio.conf.d/*.conf\n")
                .append("# are read after this file, in lexical order, and override it key by key.\n");
        renderTable(out, "crio", config.crio(), defaults == null ? null : defaults.crio(), Mode.COMPARE);
        return out.toString();
    }

    /**
     * Which values are commented out: those equal to the default, all of them (a named entry that equals
     * its default, header included), or none (a named entry that differs: it is read back whole).
     */
    private enum Mode { COMPARE, ALL, NONE }

    private static void renderTable(StringBuilder out, String path, Record value, Record defaults, Mode mode) {
        out.append('\n');
        Doc tableDoc = value.getClass().getAnnotation(Doc.class);
        if (tableDoc != null) {
            comment(out, tableDoc.value());
        }
        out.append(mode == Mode.ALL ? "# [" : "[").append(path).append("]\n");
        for (RecordComponent c : ConfigSchema.orderedComponents(value.getClass())) {
            if (ConfigSchema.isTable(c)) {
                continue;
            }
            Object v = read(c, value);
            Object d = defaults == null ? null : read(c, defaults);
            out.append('\n');
            Doc doc = c.getAnnotation(Doc.class);
            if (doc != null) {
                comment(out, doc.value());
            }
            boolean commented = mode == Mode.ALL || (mode == Mode.COMPARE && defaults != null && Objects.equals(v, d));
            String line = quoteKey(ConfigSchema.key(c)) + " = " + value(v);
            for (String l : line.split("\n", -1)) {
                out.append(commented ? "# " : "").append(l).append('\n');
            }
        }
        for (RecordComponent c : ConfigSchema.orderedComponents(value.getClass())) {
            if (!ConfigSchema.isTable(c)) {
                continue;
            }
            String childPath = path + "." + quoteKey(ConfigSchema.key(c));
            Object v = read(c, value);
            Object d = defaults == null ? null : read(c, defaults);
            if (v instanceof Record r) {
                renderTable(out, childPath, r, (Record) d, mode);
            } else if (v instanceof Map<?, ?> m) {
                Map<?, ?> dm = d instanceof Map<?, ?> x ? x : Map.of();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    Object defaultEntry = dm.get(e.getKey());
                    Mode entryMode = mode == Mode.ALL || Objects.equals(e.getValue(), defaultEntry) ? Mode.ALL : Mode.NONE;
                    renderTable(out, childPath + "." + quoteKey(e.getKey().toString()), (Record) e.getValue(),
                            (Record) defaultEntry, entryMode);
                }
            }
        }
    }

    private static Object read(RecordComponent c, Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + c, e);
        }
    }

    private static void comment(StringBuilder out, String[] lines) {
        for (String l : lines) {
            out.append(l.isEmpty() ? "#" : "# " + l).append('\n');
        }
    }

    static String value(Object v) {
        if (v instanceof String s) {
            return quote(s);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                return "[]";
            }
            StringBuilder sb = new StringBuilder("[\n");
            for (Object o : list) {
                sb.append("\t").append(value(o)).append(",\n");
            }
            return sb.append("]").toString();
        }
        if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                return "{}";
            }
            StringBuilder sb = new StringBuilder("{ ");
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(first ? "" : ", ").append(quoteKey(e.getKey().toString())).append(" = ").append(value(e.getValue()));
                first = false;
            }
            return sb.append(" }").toString();
        }
        throw new IllegalArgumentException("no TOML form for " + (v == null ? "null" : v.getClass()));
    }

    static String quoteKey(String key) {
        return BARE_KEY.matcher(key).matches() ? key : quote(key);
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (ch < 0x20 || ch == 0x7f) {
                        sb.append(String.format("\\u%04X", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
