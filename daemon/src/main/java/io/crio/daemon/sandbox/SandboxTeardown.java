package io.crio.daemon.sandbox;

import io.crio.daemon.cgroup.CgroupTree;
import io.crio.daemon.server.CriException;
import io.crio.sys.MountCalls;
import io.crio.sys.NamespacePinner;
import io.crio.sys.SyscallException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * StopPodSandbox and RemovePodSandbox. Stop detaches the network (CNI DEL, which releases the IP), removes
 * the pinned namespaces and unmounts /dev/shm; remove also deletes the cgroup, the run directory, the
 * persisted state and the name. Both are idempotent, and each step is recorded as done before the next,
 * so a call that fails half-way can simply be repeated.
 */
public final class SandboxTeardown {

    private static final Logger log = LoggerFactory.getLogger(SandboxTeardown.class);

    private final SandboxStore store;
    private final PodNetwork network;
    private final CgroupTree cgroups;
    private final NamespacePinner pinner = new NamespacePinner();
    private final PendingCreations pending;
    private final InfraContainers infra;
    private final java.util.function.Supplier<PodContainers> containers;

    public SandboxTeardown(SandboxStore store, PodNetwork network, CgroupTree cgroups, PendingCreations pending,
                           InfraContainers infra, java.util.function.Supplier<PodContainers> containers) {
        this.containers = containers;
        this.store = store;
        this.network = network;
        this.cgroups = cgroups;
        this.pending = pending;
        this.infra = infra;
    }

    public void stop(Sandbox sb) {
        sb.lock().lock();
        try {
            containers.get().stopAll(sb.id());
            SandboxRecord r = sb.record();
            if (!r.ready() && !r.networkAttached() && !r.shmMounted() && r.namespaces().isEmpty()
                    && (r.infraContainerId().isEmpty() || infra.exited(r))) {
                log.info("Stopped pod sandbox (already stopped): {}", sb.id());
                return;
            }
            log.info("Stopping pod sandbox: {}", sb.id());
            if (r.ready()) {
                store.update(sb, rec -> rec.withReady(false));
            }
            infra.stop(r);
            if (r.networkAttached()) {
                network.detach(r.networkName(), sb.id(), sb.config(), r.namespaces().getOrDefault("net", ""));
                store.update(sb, rec -> rec.withNetworkAttached(false));
            }
            if (!r.namespaces().isEmpty()) {
                unpinAll(sb, r.namespaces());
            }
            if (r.shmMounted()) {
                unmount(r.shmPath());
                store.update(sb, rec -> rec.withShmMounted(false));
            }
            log.info("Stopped pod sandbox: {}", sb.id());
        } finally {
            sb.lock().unlock();
        }
    }

    public void remove(Sandbox sb) {
        sb.lock().lock();
        try {
            stop(sb);
            containers.get().removeAll(sb.id());
            SandboxRecord r = sb.record();
            log.info("Removing pod sandbox: {}", sb.id());
            infra.remove(r);
            if (!r.cgroupDir().isEmpty()) {
                cgroups.remove(r.cgroupDir());
            }
            Path sandboxDir = Path.of(r.runDir()).getParent();
            try {
                SandboxFiles.deleteTree(sandboxDir);
                pending.forget(sb.name());
                store.delete(sb);
            } catch (IOException e) {
                throw new CriException(CriException.Kind.INTERNAL, "failed to remove pod sandbox " + sb.id() + ": "
                        + e.getMessage(), e);
            }
            log.info("Removed pod sandbox: {}", sb.id());
        } finally {
            sb.lock().unlock();
        }
    }

    private void unpinAll(Sandbox sb, Map<String, String> namespaces) {
        for (String path : namespaces.values()) {
            try {
                pinner.unpin(Path.of(path));
            } catch (RuntimeException e) {
                throw new CriException(CriException.Kind.INTERNAL, "failed to remove namespace " + path
                        + " of pod sandbox " + sb.id() + ": " + e.getMessage(), e);
            }
        }
        store.update(sb, rec -> rec.withNamespaces(Map.of()));
    }

    private static void unmount(String path) {
        try {
            MountCalls.umount2(path, MountCalls.MNT_DETACH);
        } catch (SyscallException e) {
            if (e.errno() != MountCalls.EINVAL && e.errno() != MountCalls.ENOENT) {
                throw new CriException(CriException.Kind.INTERNAL, "failed to unmount " + path + ": " + e.getMessage(), e);
            }
        }
    }
}
