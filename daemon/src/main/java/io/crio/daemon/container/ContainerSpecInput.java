package io.crio.daemon.container;

import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.oci.spec.Spec;
import java.util.List;
import java.util.Map;

/**
 * Everything a container's runtime spec is built from: the CRI request, the image's configuration, the
 * pod it joins, the resolved user and the daemon's settings.
 */
record ContainerSpecInput(
        String id,
        String name,
        ContainerConfig config,
        ImageDefaults image,
        Pod pod,
        String rootfs,
        ImageUser.Resolved user,
        Settings settings,
        String logPath,
        long createdAt,
        String imageName,
        String imageRef,
        List<DeviceNode> devices,
        Spec.Seccomp seccomp,
        String apparmorProfile) {

    ContainerSpecInput withSeccomp(Spec.Seccomp s) {
        return new ContainerSpecInput(id, name, config, image, pod, rootfs, user, settings, logPath, createdAt, imageName,
                imageRef, devices, s, apparmorProfile);
    }

    /** The AppArmor profile for {@code process.apparmorProfile}; null for none. */
    ContainerSpecInput withAppArmor(String profile) {
        return new ContainerSpecInput(id, name, config, image, pod, rootfs, user, settings, logPath, createdAt, imageName,
                imageRef, devices, seccomp, profile);
    }

    /** A device node to create in the container, resolved from the host: {@code c} or {@code b}. */
    record DeviceNode(String containerPath, String hostPath, String type, long major, long minor, int fileMode,
                      String permissions) {}

    /** What the image contributes (from its config's {@code config} object). */
    record ImageDefaults(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user,
                         List<String> volumes, String stopSignal) {
        ImageDefaults {
            entrypoint = List.copyOf(entrypoint);
            cmd = List.copyOf(cmd);
            env = List.copyOf(env);
            volumes = List.copyOf(volumes);
        }
    }

    /**
     * The pod: its namespaces (pinned paths by kind; absent = the host's), the infra process for a shared PID
     * namespace (0 when none), its files and cgroup parent.
     */
    record Pod(String id, String name, PodSandboxConfig config, String hostname, Map<String, String> namespaces,
               int infraPid, String shmPath, String resolvPath, String hostnamePath, String cgroupParent) {}

    /** Daemon settings the spec depends on. */
    record Settings(List<String> defaultCapabilities, List<String> boundingCapabilities, List<String> defaultEnv,
                    List<String> defaultUlimits, long pidsLimit, String containerCgroupsPath, int ownOomScore,
                    boolean mayLowerOomScore) {}
}
