package io.crio.oci.spec;

import java.util.List;

/** The defaults every container spec starts from, as CRI-O generates them. */
public final class SpecDefaults {

    private SpecDefaults() {}

    /** CRI-O's default capabilities. */
    public static final List<String> CAPABILITIES = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_KILL");

    public static final List<String> MASKED_PATHS = List.of(
            "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/dev/block");

    public static final List<String> READONLY_PATHS = List.of(
            "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** The file systems every container gets: proc, a tmpfs /dev with pts and mqueue, read-only sys and cgroups. */
    public static List<Spec.Mount> baseMounts() {
        return List.of(
                new Spec.Mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")),
                new Spec.Mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
                new Spec.Mount("/dev/pts", "devpts", "devpts",
                        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
                new Spec.Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
                new Spec.Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")),
                new Spec.Mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
    }

    /** A bind mount of a file or directory the runtime prepared (shm, resolv.conf, hostname). */
    public static Spec.Mount bind(String destination, String source, boolean readonly) {
        return new Spec.Mount(destination, "bind", source, readonly
                ? List.of("rbind", "ro", "nodev", "nosuid", "noexec")
                : List.of("rbind", "rw", "nodev", "nosuid", "noexec"));
    }

    /** Devices are denied except those the runtime always allows. */
    public static List<Spec.DeviceRule> denyAllDevices() {
        return List.of(new Spec.DeviceRule(false, null, null, null, "rwm"));
    }
}
