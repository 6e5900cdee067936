package io.crio.daemon.sandbox;

import io.crio.daemon.cgroup.CgroupNaming;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.RuntimeSection;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parts of the configuration the sandbox lifecycle uses, fixed at start-up.
 *
 * @param stateDir where sandbox records are persisted
 * @param runDirs where each sandbox's run directory ({@code <id>/userdata}) is made
 */
public record SandboxSettings(
        Path stateDir,
        Path runDirs,
        Path namespacesDir,
        List<String> defaultSysctls,
        CgroupNaming cgroups,
        Set<String> runtimeHandlers,
        String defaultHandler,
        Path hostResolvConf,
        long defaultShmSize) {

    /** 64 MiB, as CRI-O and Docker give a pod's /dev/shm. */
    public static final long DEFAULT_SHM_SIZE = 64L * 1024 * 1024;

    public SandboxSettings {
        defaultSysctls = List.copyOf(defaultSysctls);
        runtimeHandlers = Set.copyOf(runtimeHandlers);
    }

    public static SandboxSettings from(CrioConfig cfg) {
        RuntimeSection rt = cfg.crio().runtime();
        Set<String> handlers = new TreeSet<>(rt.runtimes().keySet());
        handlers.removeAll(rt.unusableRuntimes().keySet());
        return new SandboxSettings(
                Path.of(cfg.crio().root(), "crio", "sandboxes"),
                Path.of(cfg.crio().runroot(), "overlay-containers"),
                Path.of(rt.namespacesDir()),
                rt.defaultSysctls(),
                CgroupNaming.forManager(rt.cgroupManager()),
                handlers,
                rt.defaultRuntime(),
                Path.of("/etc/resolv.conf"),
                DEFAULT_SHM_SIZE);
    }

    /** The handler a request names, or the default for an empty name; INVALID_ARGUMENT when unknown. */
    public String handler(String requested) {
        String name = requested.isEmpty() ? defaultHandler : requested;
        if (!runtimeHandlers.contains(name)) {
            throw io.crio.daemon.server.CriException.invalidArgument("failed to find runtime handler " + name
                    + " from runtime list " + runtimeHandlers);
        }
        return name;
    }
}
