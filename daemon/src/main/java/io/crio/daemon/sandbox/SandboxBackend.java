package io.crio.daemon.sandbox;

import io.crio.daemon.cgroup.CgroupTree;
import io.crio.sys.MountCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox store and lifecycle, loaded on first use: persisted sandboxes are read back, and those whose
 * pinned namespaces or /dev/shm are gone (the host rebooted) are marked not ready, as their pods no longer run.
 */
public final class SandboxBackend {

    private static final Logger log = LoggerFactory.getLogger(SandboxBackend.class);

    /** The opened parts. */
    public record Parts(SandboxStore store, SandboxRunner runner, SandboxTeardown teardown, InfraContainers infra,
                        CgroupTree cgroups) {}

    private final SandboxSettings settings;
    private final PodNetwork network;
    private final NameRegistry names;
    private final java.util.function.Function<CgroupTree, InfraContainers> infraFactory;
    private final java.util.function.Supplier<PodContainers> containers;
    private final io.crio.daemon.Lazy<Parts> parts = new io.crio.daemon.Lazy<>(this::open);

    public SandboxBackend(SandboxSettings settings, PodNetwork network, NameRegistry names,
                          java.util.function.Function<CgroupTree, InfraContainers> infraFactory,
                          java.util.function.Supplier<PodContainers> containers) {
        this.containers = containers;
        this.settings = settings;
        this.network = network;
        this.names = names;
        this.infraFactory = infraFactory;
    }

    public Parts get() {
        return parts.get();
    }

    private Parts open() {
        SandboxStore store = new SandboxStore(settings.stateDir(), names);
        List<Sandbox> loaded;
        try {
            loaded = store.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read pod sandbox state in " + settings.stateDir() + ": "
                    + e.getMessage(), e);
        }
        for (Sandbox sb : loaded) {
            reconcile(store, sb);
        }
        if (!loaded.isEmpty()) {
            log.info("Restored {} pod sandbox(es) from {}", loaded.size(), settings.stateDir());
        }
        CgroupTree cgroups = CgroupTree.fromMountinfo();
        PendingCreations pending = new PendingCreations(Clock.systemUTC());
        InfraContainers infra = infraFactory.apply(cgroups);
        return new Parts(store,
                new SandboxRunner(settings, store, pending, network, cgroups, infra),
                new SandboxTeardown(store, network, cgroups, pending, infra, containers), infra, cgroups);
    }

    private static void reconcile(SandboxStore store, Sandbox sb) {
        SandboxRecord r = sb.record();
        boolean namespacesGone = r.namespaces().values().stream().anyMatch(p -> !MountCalls.isMountPoint(Path.of(p)));
        boolean shmGone = r.shmMounted() && !MountCalls.isMountPoint(Path.of(r.shmPath()));
        if (!namespacesGone && !shmGone) {
            return;
        }
        log.warn("Pod sandbox {} lost its {} (host restarted?); marking it not ready", sb.id(),
                namespacesGone ? "namespaces" : "/dev/shm");
        store.update(sb, rec -> {
            SandboxRecord next = rec.withReady(false);
            if (shmGone) {
                next = next.withShmMounted(false);
            }
            return next;
        });
    }
}
