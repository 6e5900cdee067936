package io.crio.daemon.container;

import com.fasterxml.jackson.databind.JsonNode;
import io.crio.api.v1.SecurityProfile;
import io.crio.daemon.server.CriException;
import io.crio.oci.spec.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Seccomp for a container, as CRI-O decides it: {@code Unconfined} and privileged containers get none;
 * {@code Localhost} loads the named profile; {@code RuntimeDefault} (and an unset profile) get the default
 * profile — {@code seccomp_profile} when configured, else the containers-common default
 * ({@code /usr/share/containers/seccomp.json}, the same profile CRI-O builds in), else a built-in profile
 * that refuses the system calls no container needs. Profiles in the containers-common format are turned
 * into the runtime spec's form for this machine's architecture and the container's capabilities.
 */
public final class SeccompProfiles {

    static final Path CONTAINERS_DEFAULT = Path.of("/usr/share/containers/seccomp.json");

    /** Never needed by containers: module, kexec, reboot, swap, accounting, clock, keyring and raw I/O calls. */
    static final List<String> BUILT_IN_DENIED = List.of(
            "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
            "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
            "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount", "move_pages",
            "name_to_handle_at", "nfsservctl", "open_by_handle_at", "perf_event_open", "personality", "pivot_root",
            "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot", "request_key",
            "set_mempolicy", "setns", "settimeofday", "stime", "swapoff", "swapon", "sysfs", "_sysctl", "umount",
            "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old");

    /** Converted profiles by file, file version and capabilities: the default profile is read once, not per container. */
    private record Key(Path file, long modified, long size, List<String> capabilities) {}

    private static final int MAX_CACHED = 64;
    private static final java.util.concurrent.ConcurrentHashMap<Key, Spec.Seccomp> CACHE =
            new java.util.concurrent.ConcurrentHashMap<>();

    private SeccompProfiles() {}

    /**
     * The profile a container asks for: the {@code seccomp} field, or else the deprecated
     * {@code seccomp_profile_path} ({@code runtime/default}, {@code docker/default}, {@code unconfined},
     * {@code localhost/<absolute path>}), as CRI-O reads them; neither set means the runtime default.
     */
    public static SecurityProfile requested(io.crio.api.v1.LinuxContainerSecurityContext sec) {
        return requested(sec.hasSeccomp() ? sec.getSeccomp() : null, sec.getSeccompProfilePath());
    }

    /** {@link #requested(io.crio.api.v1.LinuxContainerSecurityContext)} for a pod's own security context. */
    public static SecurityProfile requested(io.crio.api.v1.LinuxSandboxSecurityContext sec) {
        return requested(sec.hasSeccomp() ? sec.getSeccomp() : null, sec.getSeccompProfilePath());
    }

    /**
     * Checks the requested profile before anything is created: an unknown legacy path, a {@code Localhost}
     * profile without an absolute path or whose file cannot be read → INVALID_ARGUMENT.
     */
    public static void validate(SecurityProfile requested) {
        if (requested.getProfileType() == SecurityProfile.ProfileType.Localhost) {
            String ref = requested.getLocalhostRef();
            if (ref.isEmpty() || !ref.startsWith("/")) {
                throw CriException.invalidArgument("seccomp Localhost profile needs an absolute localhost_ref, got \""
                        + ref + "\"");
            }
            if (!Files.isRegularFile(Path.of(ref)) || !Files.isReadable(Path.of(ref))) {
                throw CriException.invalidArgument("seccomp profile " + ref + " does not exist or is not readable");
            }
        }
    }

    private static SecurityProfile requested(SecurityProfile field, String path) {
        if (field != null) {
            return field;
        }
        return LegacyProfiles.parse(path, Set.of("runtime/default", "docker/default"), "seccomp_profile_path");
    }

    /**
     * The profile that applies: for a privileged container with {@code privileged_seccomp_profile} set, that
     * file as a {@code Localhost} profile (CRI-O injects it over whatever was asked), else what was asked.
     */
    public static SecurityProfile effective(SecurityProfile requested, boolean privileged, String privilegedProfile) {
        if (privileged && !privilegedProfile.isEmpty()) {
            return SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost)
                    .setLocalhostRef(privilegedProfile).build();
        }
        return requested;
    }

    /**
     * The seccomp section for a container, or null for none: privileged containers run unconfined unless
     * {@code privileged_seccomp_profile} names a profile for them.
     */
    public static Spec.Seccomp forContainer(SecurityProfile requested, boolean privileged, String configuredProfile,
                                            String privilegedProfile, List<String> capabilities) {
        SecurityProfile profile = effective(requested, privileged, privilegedProfile);
        if ((privileged && privilegedProfile.isEmpty()) || profile.getProfileType() == SecurityProfile.ProfileType.Unconfined) {
            return null;
        }
        if (profile.getProfileType() == SecurityProfile.ProfileType.Localhost) {
            String ref = profile.getLocalhostRef();
            if (ref.isEmpty() || !ref.startsWith("/")) {
                throw CriException.invalidArgument("seccomp Localhost profile needs an absolute localhost_ref, got \""
                        + ref + "\"");
            }
            return cached(Path.of(ref), capabilities);
        }
        if (!configuredProfile.isEmpty() && Files.isRegularFile(Path.of(configuredProfile))) {
            return cached(Path.of(configuredProfile), capabilities);
        }
        if (Files.isRegularFile(CONTAINERS_DEFAULT)) {
            return cached(CONTAINERS_DEFAULT, capabilities);
        }
        return builtIn();
    }

    /** The converted profile of {@code file}, read again only when the file changed. */
    private static Spec.Seccomp cached(Path file, List<String> capabilities) {
        java.nio.file.attribute.BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
        } catch (IOException e) {
            throw CriException.invalidArgument("cannot read seccomp profile " + file + ": " + e.getMessage());
        }
        Key key = new Key(file, attrs.lastModifiedTime().toMillis(), attrs.size(), List.copyOf(capabilities));
        Spec.Seccomp hit = CACHE.get(key);
        if (hit != null) {
            return hit;
        }
        Spec.Seccomp converted = convert(read(file), capabilities);
        if (CACHE.size() >= MAX_CACHED) {
            CACHE.clear();
        }
        CACHE.put(key, converted);
        return converted;
    }

    static Spec.Seccomp builtIn() {
        return new Spec.Seccomp("SCMP_ACT_ALLOW", null, architectures(), List.of(),
                List.of(new Spec.Syscall(BUILT_IN_DENIED, "SCMP_ACT_ERRNO", 1, List.of())));
    }

    private static JsonNode read(Path file) {
        try {
            return ContainerStore.JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw CriException.invalidArgument("cannot read seccomp profile " + file + ": " + e.getMessage());
        }
    }

    /** Keeps the rules whose includes hold and whose excludes do not, for this architecture and these capabilities. */
    static Spec.Seccomp convert(JsonNode profile, List<String> capabilities) {
        Set<String> caps = Set.copyOf(capabilities);
        String arch = goArch();
        List<Spec.Syscall> syscalls = new ArrayList<>();
        for (JsonNode rule : profile.path("syscalls")) {
            if (!applies(rule.path("includes"), rule.path("excludes"), caps, arch)) {
                continue;
            }
            List<String> names = new ArrayList<>();
            rule.path("names").forEach(n -> names.add(n.asText()));
            if (rule.hasNonNull("name")) {
                names.add(rule.get("name").asText());
            }
            List<Spec.SyscallArg> args = new ArrayList<>();
            rule.path("args").forEach(a -> args.add(new Spec.SyscallArg(a.path("index").asInt(), a.path("value").asLong(),
                    a.path("valueTwo").asLong(), a.path("op").asText())));
            Integer errno = rule.hasNonNull("errnoRet") ? rule.get("errnoRet").asInt() : null;
            syscalls.add(new Spec.Syscall(names, rule.path("action").asText(), errno, args));
        }
        List<String> architectures = new ArrayList<>();
        for (JsonNode m : profile.path("archMap")) {
            if (m.path("architecture").asText().equals(seccompArch())) {
                architectures.add(seccompArch());
                m.path("subArchitectures").forEach(a -> architectures.add(a.asText()));
            }
        }
        profile.path("architectures").forEach(a -> {
            if (!architectures.contains(a.asText())) {
                architectures.add(a.asText());
            }
        });
        if (architectures.isEmpty()) {
            architectures.addAll(architectures());
        }
        Integer defaultErrno = profile.hasNonNull("defaultErrnoRet") ? profile.get("defaultErrnoRet").asInt() : null;
        List<String> flags = new ArrayList<>();
        profile.path("flags").forEach(f -> flags.add(f.asText()));
        return new Spec.Seccomp(profile.path("defaultAction").asText("SCMP_ACT_ERRNO"), defaultErrno, architectures, flags,
                syscalls);
    }

    private static boolean applies(JsonNode includes, JsonNode excludes, Set<String> caps, String arch) {
        for (JsonNode c : includes.path("caps")) {
            if (!caps.contains(c.asText())) {
                return false;
            }
        }
        if (includes.path("arches").size() > 0 && !contains(includes.path("arches"), arch)) {
            return false;
        }
        for (JsonNode c : excludes.path("caps")) {
            if (caps.contains(c.asText())) {
                return false;
            }
        }
        return !contains(excludes.path("arches"), arch);
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (n.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }

    static String goArch() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            default -> System.getProperty("os.arch");
        };
    }

    static String seccompArch() {
        return switch (goArch()) {
            case "amd64" -> "SCMP_ARCH_X86_64";
            case "arm64" -> "SCMP_ARCH_AARCH64";
            case "ppc64le" -> "SCMP_ARCH_PPC64LE";
            case "s390x" -> "SCMP_ARCH_S390X";
            default -> "SCMP_ARCH_NATIVE";
        };
    }

    private static List<String> architectures() {
        return switch (goArch()) {
            case "amd64" -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
            case "arm64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
            default -> List.of(seccompArch());
        };
    }
}
