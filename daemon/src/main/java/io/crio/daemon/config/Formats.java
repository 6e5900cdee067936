package io.crio.daemon.config;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Checks of the small string formats configuration values use (CPU lists, ulimits, devices, ...). */
final class Formats {

    private Formats() {}

    /** Linux capability names as the configuration writes them: upper case, without the {@code CAP_} prefix. */
    static final Set<String> CAPABILITIES = Set.of(
            "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
            "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
            "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
            "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
            "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
            "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE");

    /** Resource names a default ulimit may set. */
    static final Set<String> ULIMITS = Set.of(
            "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc",
            "rss", "rtprio", "rttime", "sigpending", "stack");

    /**
     * Annotations a runtime handler or workload may list in {@code allowed_annotations}: the current
     * {@code *.crio.io} names, their deprecated {@code io.kubernetes.cri-o.*} forms, and a few the OCI
     * runtimes themselves interpret.
     */
    static final List<String> ALLOWABLE_ANNOTATIONS = List.of(
            "io.kubernetes.cri.rdt-class",
            "bundle",
            "org.systemd.property.",
            "org.criu.config",
            "module.wasm.image/variant",
            "io.kubernetes.cri.container-type",
            "run.oci.",
            "cgroup2-mount-hierarchy-rw.crio.io",
            "cpu-c-states.crio.io",
            "cpu-freq-governor.crio.io",
            "cpu-load-balancing.crio.io",
            "cpu-quota.crio.io",
            "cpu-shared.crio.io",
            "devices.crio.io",
            "disable-fips.crio.io",
            "irq-load-balancing.crio.io",
            "link-logs.crio.io",
            "io.containers.trace-syscall",
            "platform-runtime-path.crio.io",
            "pod-linux-overhead.crio.io",
            "pod-linux-resources.crio.io",
            "seccomp-notifier-action.crio.io",
            "seccomp-profile.crio.io",
            "shm-size.crio.io",
            "spoofed.crio.io",
            "org.opencontainers.image.stopSignal",
            "try-skip-volume-selinux-label.crio.io",
            "umask.crio.io",
            "unified-cgroup.crio.io",
            "userns-mode.crio.io",
            "io.kubernetes.cri-o.cgroup2-mount-hierarchy-rw",
            "io.kubernetes.cri-o.Devices",
            "io.kubernetes.cri-o.DisableFIPS",
            "io.kubernetes.cri-o.LinkLogs",
            "io.kubernetes.cri-o.PlatformRuntimePath",
            "io.kubernetes.cri-o.PodLinuxOverhead",
            "io.kubernetes.cri-o.PodLinuxResources",
            "io.kubernetes.cri-o.seccompNotifierAction",
            "seccomp-profile.kubernetes.cri-o.io",
            "io.kubernetes.cri-o.ShmSize",
            "io.kubernetes.cri-o.Spoofed",
            "io.kubernetes.cri-o.TrySkipVolumeSELinuxLabel",
            "io.kubernetes.cri-o.umask",
            "io.kubernetes.cri-o.UnifiedCgroup",
            "io.kubernetes.cri-o.userns-mode");

    private static final Pattern CPU_RANGE = Pattern.compile("(\\d+)(?:-(\\d+))?");

    /** Whether {@code text} is a Linux CPU list such as {@code "0-3,6,8-9"}; the empty list is valid. */
    static boolean isCpuList(String text) {
        if (text.isEmpty()) {
            return true;
        }
        for (String part : text.split(",", -1)) {
            var m = CPU_RANGE.matcher(part);
            if (!m.matches()) {
                return false;
            }
            try {
                int from = Integer.parseInt(m.group(1));
                int to = m.group(2) == null ? from : Integer.parseInt(m.group(2));
                if (to < from) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }

    /** Why a {@code name=soft[:hard]} ulimit is malformed, or null when it is fine. */
    static String ulimitProblem(String text) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            return "\"" + text + "\" is not of the form name=soft[:hard]";
        }
        String name = text.substring(0, eq);
        if (!ULIMITS.contains(name)) {
            return "\"" + text + "\" names an unknown resource \"" + name + "\", allowed: "
                    + String.join(", ", ULIMITS.stream().sorted().toList());
        }
        String[] limits = text.substring(eq + 1).split(":", -1);
        if (limits.length > 2) {
            return "\"" + text + "\" is not of the form name=soft[:hard]";
        }
        try {
            long soft = Long.parseLong(limits[0]);
            long hard = limits.length == 2 ? Long.parseLong(limits[1]) : soft;
            if (hard != -1 && (soft == -1 || soft > hard)) {
                return "\"" + text + "\" has a soft limit above its hard limit (-1 means unlimited)";
            }
        } catch (NumberFormatException e) {
            return "\"" + text + "\" has a limit that is not an integer";
        }
        return null;
    }

    /**
     * Why a {@code host-path[:container-path][:permissions]} device is malformed, or null when it is fine
     * (empty entries are ignored). Whether the host path is a device is checked when the daemon starts.
     */
    static String deviceProblem(String text) {
        if (text.isEmpty()) {
            return null;
        }
        String[] parts = text.split(":", -1);
        if (parts.length > 3) {
            return "\"" + text + "\" is not of the form host-path[:container-path][:permissions]";
        }
        if (parts.length == 3 && !isDeviceMode(parts[2])) {
            return "\"" + text + "\": permissions must be a combination of r, w and m";
        }
        String dst = "";
        if (parts.length >= 2 && !isDeviceMode(parts[1])) {
            if (!parts[1].isEmpty() && !parts[1].startsWith("/")) {
                return "\"" + text + "\": \"" + parts[1] + "\" is neither a path nor permissions (r, w, m)";
            }
            dst = parts[1];
        }
        if (dst.isEmpty()) {
            dst = parts[0];
        }
        if (!dst.startsWith("/dev/")) {
            return "\"" + text + "\": the path in the container must be under /dev/";
        }
        return null;
    }

    private static boolean isDeviceMode(String mode) {
        if (mode.isEmpty() || mode.length() > 3) {
            return false;
        }
        boolean r = false;
        boolean w = false;
        boolean m = false;
        for (char c : mode.toCharArray()) {
            switch (c) {
                case 'r' -> { if (r) return false; r = true; }
                case 'w' -> { if (w) return false; w = true; }
                case 'm' -> { if (m) return false; m = true; }
                default -> { return false; }
            }
        }
        return true;
    }

    /** Why a {@code key=value} sysctl is malformed, or null when it is fine (empty entries are ignored). */
    static String sysctlProblem(String text) {
        if (text.isEmpty()) {
            return null;
        }
        int eq = text.indexOf('=');
        if (eq < 0) {
            return "\"" + text + "\" is not of the form key=value";
        }
        String key = text.substring(0, eq);
        String value = text.substring(eq + 1);
        if (!key.strip().equals(key) || !value.strip().equals(value)) {
            return "\"" + text + "\" has spaces around the key or value; write key=value";
        }
        return null;
    }

    /** Whether {@code name} is a known capability, written with or without case differences, without CAP_. */
    static boolean isCapability(String name) {
        return CAPABILITIES.contains(name.toUpperCase(Locale.ROOT));
    }

    /** Whether {@code regex} compiles. */
    static boolean isRegex(String regex) {
        try {
            Pattern.compile(regex);
            return true;
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    /** Whether {@code port} is a decimal TCP port number (0 picks a free port). */
    static boolean isPort(String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return false;
        }
        return Integer.parseInt(port) <= 65535;
    }

    /** Adds a problem unless {@code value} is empty or one of {@code allowed}. */
    static void requireOneOfOrEmpty(Problems problems, String key, String value, String... allowed) {
        if (value.isEmpty() || List.of(allowed).contains(value)) {
            return;
        }
        problems.add(key, "invalid value \"" + value + "\", allowed: " + String.join(", ", allowed) + " or empty");
    }

    /** Whether {@code path} is absolute. */
    static boolean isAbsolute(String path) {
        return path.startsWith("/");
    }
}
