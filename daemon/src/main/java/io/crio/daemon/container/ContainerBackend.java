package io.crio.daemon.container;

import io.crio.daemon.Lazy;
import io.crio.daemon.cgroup.CgroupNaming;
import io.crio.daemon.cgroup.MonitorPlacement;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.image.ImageBackend;
import io.crio.daemon.sandbox.NameRegistry;
import io.crio.daemon.sandbox.PendingCreations;
import io.crio.daemon.sandbox.PodContainers;
import io.crio.daemon.sandbox.Sandbox;
import io.crio.daemon.sandbox.SandboxBackend;
import io.crio.daemon.sandbox.SandboxRecord;
import io.crio.oci.ExecutableLookup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/** The container store and lifecycle, opened on first use (persisted containers are read back then). */
public final class ContainerBackend implements PodContainers {

    private final CrioConfig config;
    private final ExecutableLookup lookup;
    private final ImageBackend images;
    private final SandboxBackend sandboxes;
    private final NameRegistry names;
    private final Lazy<ContainerManager> manager = new Lazy<>(this::open);

    public ContainerBackend(CrioConfig config, ExecutableLookup lookup, ImageBackend images, SandboxBackend sandboxes,
                            NameRegistry names) {
        this.config = config;
        this.lookup = lookup;
        this.images = images;
        this.sandboxes = sandboxes;
        this.names = names;
    }

    public ContainerManager get() {
        return manager.get();
    }

    private ContainerManager open() {
        ContainerStore store = new ContainerStore(Path.of(config.crio().root(), "crio", "containers"));
        try {
            store.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read container state: " + e.getMessage(), e);
        }
        RuntimeHandlers handlers = new RuntimeHandlers(config, lookup);
        try {
            ContainerRecovery.adoptMissing(store, new ContainerRecovery.Context(images.get().store(),
                    Path.of(config.crio().runroot()), Path.of(config.crio().runtime().containerExitsDir()),
                    sandboxId -> sandboxes.get().store().find(sandboxId).map(sb -> sb.record().runtimeHandler()).orElse(""),
                    handlers));
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(ContainerBackend.class).warn(
                    "Cannot look for containers whose state was lost: {}", e.getMessage());
        }
        store.all().forEach(e -> names.reserve(e.state().name(), e.state().id()));
        ContainerManager.Pods pods = new ContainerManager.Pods() {
            @Override
            public Optional<Sandbox> find(String id) {
                return sandboxes.get().store().find(id);
            }

            @Override
            public int infraPid(SandboxRecord sandbox) {
                return sandboxes.get().infra().pid(sandbox).orElse(0);
            }
        };
        MonitorPlacement monitors = new MonitorPlacement(sandboxes.get().cgroups(),
                CgroupNaming.forManager(config.crio().runtime().cgroupManager()));
        ContainerManager manager = new ContainerManager(config, store, images, handlers, pods,
                names, new PendingCreations(Clock.systemUTC()), monitors);
        try {
            ExitWatcher.start(Path.of(config.crio().runtime().containerExitsDir()),
                    id -> store.get(id).ifPresent(manager::refresh));
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(ContainerBackend.class).warn(
                    "Cannot watch the exit directory ({}); exits are read when containers are queried", e.getMessage());
        }
        return manager;
    }

    @Override
    public void stopAll(String sandboxId) {
        get().stopAll(sandboxId);
    }

    @Override
    public void removeAll(String sandboxId) {
        get().removeAll(sandboxId);
    }
}
