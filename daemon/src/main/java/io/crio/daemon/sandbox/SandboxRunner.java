package io.crio.daemon.sandbox;

import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.RunPodSandboxRequest;
import io.crio.cni.CniResult;
import io.crio.cni.NetworkConfigList;
import io.crio.daemon.cgroup.CgroupTree;
import io.crio.daemon.server.CriException;
import io.crio.sys.MountCalls;
import io.crio.sys.NamespacePinner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RunPodSandbox: validates the request, reserves the pod's name, then creates the run directory, the
 * hostname and resolv.conf files, the /dev/shm tmpfs, the pinned namespaces (with hostname and sysctls),
 * the pod cgroup and the CNI attachment, and persists the sandbox. Each step pushes its undo; a failure
 * undoes everything in reverse order and releases the name.
 */
public final class SandboxRunner {

    private static final Logger log = LoggerFactory.getLogger(SandboxRunner.class);
    /** How long a retry waits for a creation still in flight when the caller set no deadline. */
    static final Duration DEFAULT_WAIT = Duration.ofMinutes(4);
    public static final String SHM_SIZE_ANNOTATION = "io.kubernetes.cri-o.ShmSize";

    private final SandboxSettings settings;
    private final SandboxStore store;
    private final PendingCreations pending;
    private final PodNetwork network;
    private final CgroupTree cgroups;
    private final InfraContainers infra;
    private final NamespacePinner pinner = new NamespacePinner();

    public SandboxRunner(SandboxSettings settings, SandboxStore store, PendingCreations pending, PodNetwork network,
                         CgroupTree cgroups, InfraContainers infra) {
        this.settings = settings;
        this.store = store;
        this.pending = pending;
        this.network = network;
        this.cgroups = cgroups;
        this.infra = infra;
    }

    /** What the caller's call looks like: how long it may still wait, and whether it has gone away. */
    public interface Caller {
        Duration remaining();

        boolean gone();
    }

    /** The sandbox's ID: a new sandbox, or the one a retried request already created. */
    public String run(RunPodSandboxRequest request, Caller caller) {
        if (!request.hasConfig()) {
            throw CriException.invalidArgument("PodSandboxConfig is nil");
        }
        PodSandboxConfig config = request.getConfig();
        Plan plan = plan(config, request.getRuntimeHandler());
        return pending.createOnce("pod sandbox", plan.name(), caller::remaining, new PendingCreations.Creation() {
            @Override
            public boolean exists(String id) {
                return store.get(id).isPresent();
            }

            @Override
            public Optional<String> reserve(String id) {
                return store.names().reserve(plan.name(), id);
            }

            @Override
            public void release(String id) {
                store.names().release(plan.name(), id);
            }

            @Override
            public void create(String id) {
                SandboxRunner.this.create(id, plan, config);
            }

            @Override
            public boolean callerGone(String id) {
                return caller.gone();
            }

            @Override
            public CriException nameTaken(String holder) {
                return new CriException(CriException.Kind.ALREADY_EXISTS, "pod sandbox with name \"" + plan.name()
                        + "\" already exists (ID " + holder + ")");
            }
        });
    }

    /** Everything decided before anything is created. */
    record Plan(String name, String handler, boolean hostNetwork, boolean hostIpc, boolean infra,
                Map<String, String> sysctls, String cgroupParent, long shmSize) {}

    Plan plan(PodSandboxConfig config, String requestedHandler) {
        SandboxConfigValidator.validate(config);
        String handler = settings.handler(requestedHandler);
        var ns = config.getLinux().getSecurityContext().getNamespaceOptions();
        boolean hostNetwork = ns.getNetwork() == NamespaceMode.NODE;
        boolean hostIpc = ns.getIpc() == NamespaceMode.NODE;
        boolean infra = ns.getPid() == NamespaceMode.POD;
        Map<String, String> sysctls = SysctlPolicy.resolve(config.getLinux().getSysctlsMap(),
                settings.defaultSysctls(), hostNetwork, hostIpc);
        String cgroupParent = settings.cgroups().sandboxParent(config.getLinux().getCgroupParent());
        long shmSize = shmSize(config.getAnnotationsMap());
        PodNetwork.capabilityArgs(config);
        return new Plan(name(config.getMetadata()), handler, hostNetwork, hostIpc, infra, sysctls, cgroupParent, shmSize);
    }

    /** The name CRI-O reserves: {@code k8s_POD_<name>_<namespace>_<uid>_<attempt>}. */
    static String name(PodSandboxMetadata m) {
        return "k8s_POD_" + m.getName() + "_" + m.getNamespace() + "_" + m.getUid() + "_" + m.getAttempt();
    }

    private long shmSize(Map<String, String> annotations) {
        String v = annotations.get(SHM_SIZE_ANNOTATION);
        if (v == null) {
            return settings.defaultShmSize();
        }
        try {
            long size = Quantity.parse(v);
            if (size <= 0) {
                throw new IllegalArgumentException("must be greater than 0");
            }
            return size;
        } catch (IllegalArgumentException e) {
            throw CriException.invalidArgument("invalid " + SHM_SIZE_ANNOTATION + " annotation \"" + v + "\": "
                    + e.getMessage());
        }
    }

    private void create(String id, Plan plan, PodSandboxConfig config) {
        long t0 = System.nanoTime();
        UndoStack undo = new UndoStack();
        try {
            Path sandboxDir = settings.runDirs().resolve(id);
            Path runDir = sandboxDir.resolve("userdata");
            Files.createDirectories(runDir);
            undo.push("remove run directory " + sandboxDir, () -> SandboxFiles.deleteTree(sandboxDir));

            String hostname = hostname(id, config.getHostname(), plan.hostNetwork());
            Path hostnamePath = runDir.resolve("hostname");
            SandboxFiles.writeReadable(hostnamePath, (hostname + "\n").getBytes(StandardCharsets.UTF_8));
            Path resolvPath = runDir.resolve("resolv.conf");
            ResolvConf.write(resolvPath, config.getDnsConfig(), settings.hostResolvConf());

            String shmPath = "/dev/shm";
            boolean shmMounted = false;
            if (!plan.hostIpc()) {
                Path shm = runDir.resolve("shm");
                Files.createDirectory(shm, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
                MountCalls.mount("shm", shm.toString(), "tmpfs",
                        MountCalls.MS_NOEXEC | MountCalls.MS_NOSUID | MountCalls.MS_NODEV,
                        "mode=1777,size=" + plan.shmSize());
                undo.push("unmount shm " + shm, () -> MountCalls.umount2(shm.toString(), MountCalls.MNT_DETACH));
                shmPath = shm.toString();
                shmMounted = true;
            }

            long tNs = System.nanoTime();
            Map<String, String> namespaces = pinNamespaces(id, plan, hostname, undo);
            long nsNanos = System.nanoTime() - tNs;

            String cgroupDir = settings.cgroups().sandboxCgroupDir(plan.cgroupParent(), id);
            if (!cgroupDir.isEmpty()) {
                cgroups.create(cgroupDir);
                undo.push("remove cgroup " + cgroupDir, () -> cgroups.remove(cgroupDir));
            }

            long tNet = System.nanoTime();
            String networkName = "";
            List<String> ips = List.of();
            if (!plan.hostNetwork()) {
                NetworkConfigList net = network.network();
                String netns = namespaces.get("net");
                CniResult result = network.attach(net, id, config, netns);
                networkName = net.name();
                String attachedTo = networkName;
                undo.push("detach from network " + attachedTo, () -> network.detach(attachedTo, id, config, netns));
                ips = result.podIps();
            }
            long netNanos = System.nanoTime() - tNet;

            SandboxRecord record = new SandboxRecord(SandboxRecord.VERSION, id, plan.name(), config.toByteArray(),
                    plan.handler(), now(), true, hostname, runDir.toString(), shmPath, shmMounted,
                    resolvPath.toString(), hostnamePath.toString(), namespaces, plan.cgroupParent(), cgroupDir,
                    networkName, !networkName.isEmpty(), ips, plan.sysctls(), "");
            long infraNanos = 0;
            if (plan.infra()) {
                long tInfra = System.nanoTime();
                record = record.withInfraContainerId(id);
                SandboxRecord started = record;
                infra.start(new InfraContainers.Request(record, config, plan.hostIpc()), undo);
                undo.push("stop infra container " + id, () -> infra.stop(started));
                infraNanos = System.nanoTime() - tInfra;
            }

            long tState = System.nanoTime();
            store.add(record);
            long stateNanos = System.nanoTime() - tState;
            undo.commit();
            log.info("Ran pod sandbox {} ({}) in {} ms: namespaces {} ms, network {} ms, state {} ms{}", id, plan.name(),
                    ms(System.nanoTime() - t0), ms(nsNanos), ms(netNanos), ms(stateNanos),
                    plan.infra() ? ", infra container " + ms(infraNanos) + " ms" : "");
        } catch (IOException e) {
            undo.rollback();
            throw new CriException(CriException.Kind.INTERNAL, "failed to create pod sandbox " + plan.name() + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            undo.rollback();
            throw e;
        }
    }

    private Map<String, String> pinNamespaces(String id, Plan plan, String hostname, UndoStack undo) {
        Set<NamespacePinner.NamespaceKind> kinds = EnumSet.noneOf(NamespacePinner.NamespaceKind.class);
        if (!plan.hostNetwork()) {
            kinds.add(NamespacePinner.NamespaceKind.NET);
            kinds.add(NamespacePinner.NamespaceKind.UTS);
        }
        if (!plan.hostIpc()) {
            kinds.add(NamespacePinner.NamespaceKind.IPC);
        }
        Map<String, String> paths = new LinkedHashMap<>();
        if (kinds.isEmpty()) {
            return paths;
        }
        NamespacePinner.PinnedNamespaces pinned;
        try {
            pinned = pinner.pin(new NamespacePinner.PinRequest(id, settings.namespacesDir(), kinds,
                    kinds.contains(NamespacePinner.NamespaceKind.UTS) ? Optional.of(hostname) : Optional.empty(),
                    plan.sysctls()));
        } catch (RuntimeException e) {
            throw new CriException(CriException.Kind.INTERNAL, "failed to create pod namespaces: " + e.getMessage(), e);
        }
        pinned.paths().forEach((kind, path) -> {
            paths.put(kind.procName(), path.toString());
            undo.push("unpin " + kind.procName() + " namespace " + path, () -> pinner.unpin(path));
        });
        return paths;
    }

    static String hostname(String id, String requested, boolean hostNetwork) {
        if (!requested.isEmpty()) {
            return requested;
        }
        if (hostNetwork) {
            try {
                return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            } catch (IOException e) {
                throw new CriException(CriException.Kind.INTERNAL, "cannot read the host name: " + e.getMessage(), e);
            }
        }
        return id.substring(0, 12);
    }

    private static long now() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    static String ms(long nanos) {
        return io.crio.daemon.logging.Millis.of(nanos);
    }
}
