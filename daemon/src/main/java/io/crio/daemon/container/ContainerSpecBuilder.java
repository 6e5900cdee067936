package io.crio.daemon.container;

import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.KeyValue;
import io.crio.api.v1.LinuxContainerResources;
import io.crio.api.v1.LinuxContainerSecurityContext;
import io.crio.api.v1.Mount;
import io.crio.api.v1.MountPropagation;
import io.crio.api.v1.NamespaceMode;
import io.crio.daemon.server.CriException;
import io.crio.oci.spec.Spec;
import io.crio.oci.spec.SpecDefaults;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a container's OCI runtime spec from {@link ContainerSpecInput}: one pure function, no I/O.
 * Kubernetes' rules for command and args, image env overridden by the CRI's, the resolved user, the
 * standard mounts plus the pod's shm/resolv.conf/hostname and the CRI mounts, the pod's namespaces,
 * resources, capabilities, privileged mode, masked and read-only paths, and CRI-O's annotations.
 */
final class ContainerSpecBuilder {

    private ContainerSpecBuilder() {}

    static Spec build(ContainerSpecInput in) {
        ContainerConfig c = in.config();
        LinuxContainerSecurityContext sec = c.getLinux().getSecurityContext();
        boolean privileged = sec.getPrivileged();

        Spec.Process process = new Spec.Process(c.getTty(),
                new Spec.User(in.user().uid(), in.user().gid(), in.user().additionalGids(), null),
                args(c, in.image()), env(in), cwd(c, in.image()),
                Spec.Capabilities.of(capabilities(in)),
                rlimits(in.settings().defaultUlimits()), sec.getNoNewPrivs(), oomScoreAdj(in), in.apparmorProfile(), null);

        Spec.Linux linux = new Spec.Linux(Map.of(), resources(in, privileged), in.settings().containerCgroupsPath(),
                namespaces(in), devices(in.devices()), in.seccomp(), rootfsPropagation(c),
                privileged ? List.of() : maskedPaths(sec), privileged ? List.of() : readonlyPaths(sec), null);

        // a hostname can only be set in a private UTS namespace; host-network pods keep the host's
        String hostname = in.pod().namespaces().containsKey("uts") ? in.pod().hostname() : null;
        return new Spec(Spec.VERSION, process, new Spec.Root(in.rootfs(), sec.getReadonlyRootfs()), hostname,
                mounts(in, privileged), annotations(in), linux);
    }

    /** The container's capabilities: every one in the bounding set when privileged, else defaults + add - drop. */
    static List<String> capabilities(ContainerSpecInput in) {
        LinuxContainerSecurityContext sec = in.config().getLinux().getSecurityContext();
        if (sec.getPrivileged()) {
            return in.settings().boundingCapabilities();
        }
        return Capabilities.resolve(in.settings().defaultCapabilities(), sec.getCapabilities().getAddCapabilitiesList(),
                sec.getCapabilities().getDropCapabilitiesList(), in.settings().boundingCapabilities());
    }

    /** Kubernetes' rules: command replaces the entrypoint (and drops the image's cmd); args replace cmd. */
    static List<String> args(ContainerConfig c, ContainerSpecInput.ImageDefaults image) {
        List<String> out = new ArrayList<>();
        if (c.getCommandCount() > 0) {
            out.addAll(c.getCommandList());
            out.addAll(c.getArgsList());
        } else if (c.getArgsCount() > 0) {
            out.addAll(image.entrypoint());
            out.addAll(c.getArgsList());
        } else {
            out.addAll(image.entrypoint());
            out.addAll(image.cmd());
        }
        if (out.isEmpty()) {
            throw CriException.invalidArgument("no command specified: the container sets none and the image has no"
                    + " entrypoint or cmd");
        }
        return out;
    }

    static List<String> env(ContainerSpecInput in) {
        Map<String, String> env = new LinkedHashMap<>();
        put(env, SpecDefaults.DEFAULT_PATH);
        in.image().env().forEach(e -> put(env, e));
        in.settings().defaultEnv().forEach(e -> put(env, e));
        env.putIfAbsent("HOSTNAME", in.pod().hostname());
        for (KeyValue kv : in.config().getEnvsList()) {
            env.put(kv.getKey(), kv.getValue().toStringUtf8());
        }
        List<String> out = new ArrayList<>();
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    private static void put(Map<String, String> env, String kv) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        } else if (!kv.isEmpty()) {
            env.put(kv, "");
        }
    }

    static String cwd(ContainerConfig c, ContainerSpecInput.ImageDefaults image) {
        if (!c.getWorkingDir().isEmpty()) {
            return c.getWorkingDir();
        }
        return image.workingDir().isEmpty() ? "/" : image.workingDir();
    }

    static List<Spec.Rlimit> rlimits(List<String> ulimits) {
        List<Spec.Rlimit> out = new ArrayList<>();
        for (String u : ulimits) {
            int eq = u.indexOf('=');
            String[] v = u.substring(eq + 1).split(":");
            long soft = Long.parseLong(v[0]);
            long hard = v.length > 1 ? Long.parseLong(v[1]) : soft;
            out.add(new Spec.Rlimit("RLIMIT_" + u.substring(0, eq).toUpperCase(Locale.ROOT), hard, soft));
        }
        return out;
    }

    private static Integer oomScoreAdj(ContainerSpecInput in) {
        long requested = in.config().getLinux().getResources().getOomScoreAdj();
        if (requested == 0) {
            return null;
        }
        int v = (int) Math.max(-1000, Math.min(1000, requested));
        return in.settings().mayLowerOomScore() ? v : Math.max(v, in.settings().ownOomScore());
    }

    static Spec.Resources resources(ContainerSpecInput in, boolean privileged) {
        return resources(in.config().getLinux().getResources(), in.settings().pidsLimit(), privileged, in.devices());
    }

    /** The spec's resources from the CRI's; also what UpdateContainerResources hands the runtime. */
    static Spec.Resources resources(LinuxContainerResources r, long pidsLimit, boolean privileged,
                                    List<ContainerSpecInput.DeviceNode> devices) {
        Spec.Memory memory = null;
        if (r.getMemoryLimitInBytes() > 0 || r.getMemorySwapLimitInBytes() > 0) {
            Long limit = r.getMemoryLimitInBytes() > 0 ? r.getMemoryLimitInBytes() : null;
            Long swap = r.getMemorySwapLimitInBytes() > 0 ? Long.valueOf(r.getMemorySwapLimitInBytes()) : limit;
            memory = new Spec.Memory(limit, null, swap, null);
        }
        Spec.Cpu cpu = null;
        if (r.getCpuShares() > 0 || r.getCpuQuota() > 0 || r.getCpuPeriod() > 0 || !r.getCpusetCpus().isEmpty()
                || !r.getCpusetMems().isEmpty()) {
            cpu = new Spec.Cpu(r.getCpuShares() > 0 ? r.getCpuShares() : null, r.getCpuQuota() > 0 ? r.getCpuQuota() : null,
                    r.getCpuPeriod() > 0 ? r.getCpuPeriod() : null, emptyToNull(r.getCpusetCpus()),
                    emptyToNull(r.getCpusetMems()));
        }
        List<Spec.HugepageLimit> hugepages = new ArrayList<>();
        r.getHugepageLimitsList().forEach(h -> hugepages.add(new Spec.HugepageLimit(h.getPageSize(), h.getLimit())));
        Spec.Pids pids = pidsLimit > 0 ? new Spec.Pids(pidsLimit) : null;
        List<Spec.DeviceRule> rules = new ArrayList<>();
        if (privileged) {
            rules.add(new Spec.DeviceRule(true, null, null, null, "rwm"));
        } else {
            rules.addAll(SpecDefaults.denyAllDevices());
            for (ContainerSpecInput.DeviceNode d : devices) {
                rules.add(new Spec.DeviceRule(true, d.type(), d.major(), d.minor(), d.permissions()));
            }
        }
        return new Spec.Resources(rules, memory, cpu, pids, hugepages, new TreeMap<>(r.getUnifiedMap()));
    }

    private static List<Spec.Device> devices(List<ContainerSpecInput.DeviceNode> nodes) {
        List<Spec.Device> out = new ArrayList<>();
        for (ContainerSpecInput.DeviceNode d : nodes) {
            out.add(new Spec.Device(d.containerPath(), d.type(), d.major(), d.minor(), d.fileMode(), 0L, 0L));
        }
        return out;
    }

    static List<Spec.Namespace> namespaces(ContainerSpecInput in) {
        List<Spec.Namespace> out = new ArrayList<>();
        NamespaceMode pid = in.config().getLinux().getSecurityContext().getNamespaceOptions().getPid();
        NamespaceMode podPid = in.pod().config().getLinux().getSecurityContext().getNamespaceOptions().getPid();
        if (pid == NamespaceMode.NODE || podPid == NamespaceMode.NODE) {
            // the host's PID namespace: nothing to list
        } else if (podPid == NamespaceMode.POD && in.pod().infraPid() > 0) {
            out.add(new Spec.Namespace("pid", "/proc/" + in.pod().infraPid() + "/ns/pid"));
        } else {
            out.add(new Spec.Namespace("pid", null));
        }
        out.add(new Spec.Namespace("mount", null));
        joined(out, "network", in.pod().namespaces().get("net"));
        joined(out, "ipc", in.pod().namespaces().get("ipc"));
        joined(out, "uts", in.pod().namespaces().get("uts"));
        return out;
    }

    private static void joined(List<Spec.Namespace> out, String type, String path) {
        if (path != null && !path.isEmpty()) {
            out.add(new Spec.Namespace(type, path));
        }
    }

    static List<Spec.Mount> mounts(ContainerSpecInput in, boolean privileged) {
        Map<String, Spec.Mount> byDestination = new LinkedHashMap<>();
        for (Spec.Mount m : SpecDefaults.baseMounts()) {
            List<String> options = m.options();
            if (privileged && (m.destination().equals("/sys") || m.destination().equals("/sys/fs/cgroup"))) {
                options = options.stream().map(o -> o.equals("ro") ? "rw" : o).toList();
            }
            byDestination.put(m.destination(), new Spec.Mount(m.destination(), m.type(), m.source(), options));
        }
        byDestination.put("/dev/shm", new Spec.Mount("/dev/shm", "bind", in.pod().shmPath(), List.of("rw", "rbind")));
        byDestination.put("/etc/resolv.conf", SpecDefaults.bind("/etc/resolv.conf", in.pod().resolvPath(), false));
        byDestination.put("/etc/hostname", SpecDefaults.bind("/etc/hostname", in.pod().hostnamePath(), false));
        for (Mount m : in.config().getMountsList()) {
            List<String> options = new ArrayList<>(List.of("rbind"));
            options.add(m.getReadonly() ? "ro" : "rw");
            options.add(switch (m.getPropagation()) {
                case PROPAGATION_HOST_TO_CONTAINER -> "rslave";
                case PROPAGATION_BIDIRECTIONAL -> "rshared";
                default -> "rprivate";
            });
            byDestination.put(m.getContainerPath(), new Spec.Mount(m.getContainerPath(), "bind", m.getHostPath(), options));
        }
        return new ArrayList<>(byDestination.values());
    }

    /** The root's propagation must allow what the mounts ask for: rshared or rslave when any needs it. */
    static String rootfsPropagation(ContainerConfig c) {
        boolean shared = c.getMountsList().stream().anyMatch(m -> m.getPropagation() == MountPropagation.PROPAGATION_BIDIRECTIONAL);
        boolean slave = c.getMountsList().stream().anyMatch(m -> m.getPropagation() == MountPropagation.PROPAGATION_HOST_TO_CONTAINER);
        return shared ? "rshared" : slave ? "rslave" : null;
    }

    private static List<String> maskedPaths(LinuxContainerSecurityContext sec) {
        return sec.getMaskedPathsCount() > 0 ? sec.getMaskedPathsList() : SpecDefaults.MASKED_PATHS;
    }

    private static List<String> readonlyPaths(LinuxContainerSecurityContext sec) {
        return sec.getReadonlyPathsCount() > 0 ? sec.getReadonlyPathsList() : SpecDefaults.READONLY_PATHS;
    }

    static Map<String, String> annotations(ContainerSpecInput in) {
        String p = "io.kubernetes.cri-o.";
        Map<String, String> a = new LinkedHashMap<>(new TreeMap<>(in.config().getAnnotationsMap()));
        a.put(p + "ContainerType", "container");
        a.put(p + "ContainerID", in.id());
        a.put(p + "ContainerName", in.name());
        a.put(p + "SandboxID", in.pod().id());
        a.put(p + "SandboxName", in.pod().name());
        a.put(p + "Name", in.name());
        a.put(p + "Image", in.imageRef());
        a.put(p + "ImageName", in.imageName());
        a.put(p + "ImageRef", in.imageRef());
        a.put(p + "LogPath", in.logPath());
        a.put(p + "TTY", Boolean.toString(in.config().getTty()));
        a.put(p + "Stdin", Boolean.toString(in.config().getStdin()));
        a.put(p + "StdinOnce", Boolean.toString(in.config().getStdinOnce()));
        a.put(p + "Created", java.time.Instant.ofEpochSecond(0, in.createdAt()).toString());
        a.put(p + "Labels", json(new TreeMap<>(in.config().getLabelsMap())));
        a.put(p + "Annotations", json(new TreeMap<>(in.config().getAnnotationsMap())));
        a.put(p + "Metadata", json(Map.of("name", in.config().getMetadata().getName(),
                "attempt", in.config().getMetadata().getAttempt())));
        a.put("io.kubernetes.container.name", in.config().getMetadata().getName());
        a.put("io.kubernetes.pod.name", in.pod().config().getMetadata().getName());
        a.put("io.kubernetes.pod.namespace", in.pod().config().getMetadata().getNamespace());
        a.put("io.kubernetes.pod.uid", in.pod().config().getMetadata().getUid());
        return a;
    }

    private static String json(Object o) {
        try {
            return ContainerStore.JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
