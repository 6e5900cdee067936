package io.crio.daemon.container;

import io.crio.daemon.server.CriException;
import io.crio.daemon.system.OwnCapabilities;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A container's capability set: the configured defaults, plus what it adds, minus what it drops ({@code ALL}
 * on either side as in CRI-O: add ALL = every capability, drop ALL = start from none). "Every capability"
 * means every one in the daemon's own bounding set, since the runtime cannot grant more.
 */
final class Capabilities {

    /** Names by number, as the kernel numbers them. */
    static final List<String> ALL_KNOWN = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
            "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
            "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    private Capabilities() {}

    /** The capabilities in the daemon's bounding set. */
    static List<String> bounding() {
        long mask = OwnCapabilities.bounding();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ALL_KNOWN.size(); i++) {
            if ((mask & (1L << i)) != 0) {
                out.add(ALL_KNOWN.get(i));
            }
        }
        return out;
    }

    static String normalize(String name) {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        String full = upper.startsWith("CAP_") ? upper : "CAP_" + upper;
        if (!ALL_KNOWN.contains(full)) {
            throw CriException.invalidArgument("unknown capability " + name);
        }
        return full;
    }

    static List<String> resolve(List<String> defaults, List<String> add, List<String> drop, List<String> bounding) {
        Set<String> caps = new LinkedHashSet<>();
        boolean dropAll = drop.stream().anyMatch(d -> d.equalsIgnoreCase("ALL"));
        boolean addAll = add.stream().anyMatch(a -> a.equalsIgnoreCase("ALL"));
        if (!dropAll) {
            defaults.forEach(d -> caps.add(normalize(d)));
        }
        if (addAll) {
            caps.addAll(bounding);
        } else {
            add.forEach(a -> caps.add(normalize(a)));
        }
        if (!dropAll) {
            for (String d : drop) {
                caps.remove(normalize(d));
            }
        }
        caps.retainAll(bounding);
        return List.copyOf(caps);
    }
}
