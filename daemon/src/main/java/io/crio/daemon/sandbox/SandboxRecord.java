package io.crio.daemon.sandbox;

import java.util.List;
import java.util.Map;

/**
 * Everything needed to rebuild a pod sandbox after a restart, persisted as JSON (atomically replaced).
 *
 * @param config the PodSandboxConfig exactly as received (protobuf bytes, base64 in JSON)
 * @param namespaces pinned namespace files by kind ({@code net}, {@code ipc}, {@code uts}); absent when shared with the host
 * @param shmPath the pod's /dev/shm (a tmpfs under the run dir, or /dev/shm for host IPC)
 * @param cgroupDir the pod's own cgroup (relative to each hierarchy's root), empty when none was made
 * @param networkName the CNI network the pod was attached to, empty for host network
 * @param networkAttached true while a CNI ADD is in effect (cleared by a successful DEL)
 */
public record SandboxRecord(
        int version,
        String id,
        String name,
        byte[] config,
        String runtimeHandler,
        long createdAt,
        boolean ready,
        String hostname,
        String runDir,
        String shmPath,
        boolean shmMounted,
        String resolvPath,
        String hostnamePath,
        Map<String, String> namespaces,
        String cgroupParent,
        String cgroupDir,
        String networkName,
        boolean networkAttached,
        List<String> ips,
        Map<String, String> sysctls,
        String infraContainerId) {

    public static final int VERSION = 1;

    public SandboxRecord {
        namespaces = namespaces == null ? Map.of() : Map.copyOf(namespaces);
        ips = ips == null ? List.of() : List.copyOf(ips);
        sysctls = sysctls == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sysctls));
        infraContainerId = infraContainerId == null ? "" : infraContainerId;
        cgroupDir = cgroupDir == null ? "" : cgroupDir;
        networkName = networkName == null ? "" : networkName;
    }

    SandboxRecord withReady(boolean r) {
        return new SandboxRecord(version, id, name, config, runtimeHandler, createdAt, r, hostname, runDir, shmPath,
                shmMounted, resolvPath, hostnamePath, namespaces, cgroupParent, cgroupDir, networkName,
                networkAttached, ips, sysctls, infraContainerId);
    }

    SandboxRecord withShmMounted(boolean m) {
        return new SandboxRecord(version, id, name, config, runtimeHandler, createdAt, ready, hostname, runDir, shmPath,
                m, resolvPath, hostnamePath, namespaces, cgroupParent, cgroupDir, networkName,
                networkAttached, ips, sysctls, infraContainerId);
    }

    SandboxRecord withNetworkAttached(boolean a) {
        return new SandboxRecord(version, id, name, config, runtimeHandler, createdAt, ready, hostname, runDir, shmPath,
                shmMounted, resolvPath, hostnamePath, namespaces, cgroupParent, cgroupDir, networkName,
                a, ips, sysctls, infraContainerId);
    }

    SandboxRecord withNamespaces(Map<String, String> ns) {
        return new SandboxRecord(version, id, name, config, runtimeHandler, createdAt, ready, hostname, runDir, shmPath,
                shmMounted, resolvPath, hostnamePath, ns, cgroupParent, cgroupDir, networkName,
                networkAttached, ips, sysctls, infraContainerId);
    }

    SandboxRecord withInfraContainerId(String infra) {
        return new SandboxRecord(version, id, name, config, runtimeHandler, createdAt, ready, hostname, runDir, shmPath,
                shmMounted, resolvPath, hostnamePath, namespaces, cgroupParent, cgroupDir, networkName,
                networkAttached, ips, sysctls, infra);
    }
}
