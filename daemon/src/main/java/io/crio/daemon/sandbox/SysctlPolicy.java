package io.crio.daemon.sandbox;

import io.crio.daemon.server.CriException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which sysctls a pod may set and in which of its namespaces they apply: only the namespaced, safe keys
 * CRI-O allows (IPC: {@code kernel.shm*}, {@code kernel.msg*}, {@code kernel.sem}, {@code fs.mqueue.*};
 * network: {@code net.*}), never one that belongs to a namespace the pod shares with the host. Keys and
 * values are checked so that no value can smuggle a second assignment into the kernel (the
 * CVE-2022-0811 class: {@code +}, {@code =}, line breaks).
 */
public final class SysctlPolicy {

    /** The namespace a sysctl belongs to. */
    public enum Scope { NET, IPC }

    /** Dotted (or, with interface names holding dots, slash-separated) key segments of letters, digits, - and _. */
    private static final Pattern KEY = Pattern.compile("[a-z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?([./][-_a-zA-Z0-9]+)*");
    private static final int MAX_KEY = 253;
    private static final int MAX_VALUE = 4096;

    private SysctlPolicy() {}

    /** The scope of an allowed key, or null when the key is not a safe namespaced sysctl. */
    static Scope scopeOf(String key) {
        String dotted = key.indexOf('/') >= 0 && (key.indexOf('.') < 0 || key.indexOf('/') < key.indexOf('.'))
                ? key.replace('/', '.') : key;
        if (dotted.equals("kernel.sem") || dotted.startsWith("kernel.shm") || dotted.startsWith("kernel.msg")
                || dotted.startsWith("fs.mqueue.")) {
            return Scope.IPC;
        }
        if (dotted.startsWith("net.")) {
            return Scope.NET;
        }
        return null;
    }

    /**
     * Checks the pod's sysctls plus the daemon's {@code default_sysctls} and returns all of them in the order
     * they are applied (defaults first, the pod's own winning). Defaults that do not fit the pod (host
     * network or IPC) are left out, as CRI-O does; a pod sysctl that does not fit is an error.
     */
    public static Map<String, String> resolve(Map<String, String> pod, List<String> defaults,
                                              boolean hostNetwork, boolean hostIpc) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String entry : defaults) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = entry.substring(0, eq);
            String value = entry.substring(eq + 1);
            if (problem(key, value, hostNetwork, hostIpc) == null) {
                out.put(key, value);
            }
        }
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(pod).entrySet()) {
            String problem = problem(e.getKey(), e.getValue(), hostNetwork, hostIpc);
            if (problem != null) {
                throw CriException.invalidArgument("invalid sysctl " + quote(e.getKey()) + ": " + problem);
            }
            out.remove(e.getKey());
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /** Why a sysctl cannot be set, or null when it can. */
    static String problem(String key, String value, boolean hostNetwork, boolean hostIpc) {
        if (key.isEmpty() || key.length() > MAX_KEY || !KEY.matcher(key).matches()) {
            return "not a valid sysctl name";
        }
        if (value.length() > MAX_VALUE) {
            return "value longer than " + MAX_VALUE + " characters";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '+' || c == '=' || c == '\n' || c == '\r' || c == 0) {
                return "value " + quote(value) + " contains " + describe(c) + ", which is not allowed";
            }
            if (c < 0x20 && c != '\t') {
                return "value contains a control character";
            }
        }
        Scope scope = scopeOf(key);
        if (scope == null) {
            return "not a namespaced sysctl that pods may set (allowed: kernel.shm*, kernel.msg*, kernel.sem,"
                    + " fs.mqueue.*, net.*)";
        }
        if (scope == Scope.NET && hostNetwork) {
            return "not allowed with host network enabled";
        }
        if (scope == Scope.IPC && hostIpc) {
            return "not allowed with host IPC enabled";
        }
        return null;
    }

    private static String describe(char c) {
        return switch (c) {
            case '\n' -> "a line feed";
            case '\r' -> "a carriage return";
            case 0 -> "a NUL byte";
            default -> "'" + c + "'";
        };
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '"' -> sb.append("\\\"");
                default -> sb.append(c < 0x20 ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }
}
