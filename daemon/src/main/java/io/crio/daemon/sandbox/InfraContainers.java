package io.crio.daemon.sandbox;

import io.crio.conmon.ConmonException;
import io.crio.conmon.ConmonLaunch;
import io.crio.conmon.ConmonLauncher;
import io.crio.conmon.ExitFile;
import io.crio.daemon.cgroup.CgroupNaming;
import io.crio.daemon.cgroup.CgroupTree;
import io.crio.daemon.cgroup.OomScore;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.RuntimeHandler;
import io.crio.daemon.config.RuntimeSection;
import io.crio.daemon.image.ImageBackend;
import io.crio.daemon.server.CriException;
import io.crio.oci.ExecutableLookup;
import io.crio.oci.OciRuntimeCli;
import io.crio.oci.spec.Spec;
import io.crio.storage.ContainersStore;
import io.crio.sys.PresentFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Infra containers of pods whose containers share a PID namespace: the pause process, PID 1 of that
 * namespace, run from {@code pause_image} through conmon and the pod's runtime handler. Its ID is the pod's;
 * its storage container has the pod's name; its bundle is the pod's run directory.
 */
public final class InfraContainers {

    private static final Logger log = LoggerFactory.getLogger(InfraContainers.class);
    /** CRI-O gives infra containers this OOM score (clamped where the host does not allow it). */
    static final int INFRA_OOM_SCORE = -998;
    static final Duration STOP_WAIT = Duration.ofSeconds(10);

    /** What the infra container is made from. */
    public record Request(SandboxRecord sandbox, io.crio.api.v1.PodSandboxConfig config, boolean hostIpc) {}

    private final CrioConfig config;
    private final ExecutableLookup lookup;
    private final ImageBackend images;
    private final PauseImage pause;
    private final CgroupTree cgroups;
    private final CgroupNaming naming;
    private final io.crio.daemon.cgroup.MonitorPlacement monitors;

    public InfraContainers(CrioConfig config, ExecutableLookup lookup, ImageBackend images, CgroupTree cgroups) {
        this.config = config;
        this.lookup = lookup;
        this.images = images;
        this.cgroups = cgroups;
        this.naming = CgroupNaming.forManager(config.crio().runtime().cgroupManager());
        this.monitors = new io.crio.daemon.cgroup.MonitorPlacement(cgroups, naming);
        this.pause = new PauseImage(images, config.crio().image().pauseImage(), config.crio().image().pauseCommand(),
                !config.crio().image().pauseImageAuthFile().isEmpty() ? config.crio().image().pauseImageAuthFile()
                        : config.crio().image().globalAuthFile());
    }

    public String pauseImage() {
        return config.crio().image().pauseImage();
    }

    public Path exitFile(String id) {
        return Path.of(config.crio().runtime().containerExitsDir(), id);
    }

    /** True once the infra container's process has exited (conmon wrote its exit file). */
    public boolean exited(SandboxRecord r) {
        return !r.infraContainerId().isEmpty() && Files.exists(exitFile(r.infraContainerId()));
    }

    /** Creates and starts the infra container; every step is pushed on {@code undo}. Returns the pause image. */
    public String start(Request req, UndoStack undo) {
        SandboxRecord sb = req.sandbox();
        String id = sb.id();
        PauseImage.Resolved image = pause.resolve();
        ContainersStore store = images.get().store();
        RuntimeSection rt = config.crio().runtime();
        RuntimeHandler handler = rt.runtimes().get(sb.runtimeHandler());
        Path runtimePath = lookup.find(handler.runtimePath(), sb.runtimeHandler()).orElseThrow(() ->
                CriException.failedPrecondition("runtime handler " + sb.runtimeHandler() + ": binary "
                        + (handler.runtimePath().isEmpty() ? sb.runtimeHandler() : handler.runtimePath()) + " not found"));
        Path conmonPath = lookup.find(rt.effectiveMonitorPath(handler), "conmon").orElseThrow(() ->
                CriException.failedPrecondition("conmon not found (conmon / monitor_path)"));
        boolean systemd = RuntimeSection.CGROUP_MANAGER_SYSTEMD.equals(rt.cgroupManager());
        OciRuntimeCli runtime = new OciRuntimeCli(runtimePath.toString(), handler.runtimeRoot(), systemd);
        try {
            Path rootfs = store.createMountedContainer(id, List.of(sb.name()), image.image().id(),
                    metadata(sb, image)).rootfs();
            undo.push("delete infra storage container " + id, () -> store.deleteContainer(id));
            undo.push("unmount infra rootfs " + rootfs, () -> store.unmount(id, true));

            Path bundle = Path.of(sb.runDir());
            Spec spec = InfraSpec.build(new InfraSpec.Input(rootfs.toString(), image.args(), image.env(), sb.hostname(),
                    sb.namespaces(), sb.shmPath(), req.hostIpc(), sb.resolvPath(), sb.hostnamePath(),
                    naming.containerCgroupsPath(sb.cgroupParent(), id), OomScore.clamp(INFRA_OOM_SCORE), 0, 0,
                    SandboxAnnotations.of(sb, req.config(), sb.namespaces().get("net") == null, image.reference(), false),
                    io.crio.daemon.container.SeccompProfiles.forContainer(
                            io.crio.daemon.container.SeccompProfiles.requested(req.config().getLinux().getSecurityContext()),
                            req.config().getLinux().getSecurityContext().getPrivileged(), rt.seccompProfile(),
                            rt.privilegedSeccompProfile(), io.crio.oci.spec.SpecDefaults.CAPABILITIES)));
            io.crio.storage.AtomicFiles.replace(bundle.resolve("config.json"), spec.toJson(), SandboxFiles.READABLE);

            Path logDir = req.config().getLogDirectory().isEmpty()
                    ? Path.of(config.crio().logDir(), id) : Path.of(req.config().getLogDirectory());
            Files.createDirectories(logDir);
            Path exitDir = Path.of(rt.containerExitsDir());
            Files.createDirectories(exitDir);
            Path socketDir = Path.of(rt.containerAttachSocketDir());
            Files.createDirectories(socketDir);
            Files.deleteIfExists(exitFile(id));

            String monitorCgroup = rt.effectiveMonitorCgroup(handler);
            ConmonLaunch launch = ConmonLaunch.builder()
                    .conmonPath(conmonPath.toString())
                    .runtimePath(runtimePath.toString())
                    .runtimeRoot(handler.runtimeRoot())
                    .containerId(id)
                    .containerName(sb.name())
                    .bundleDir(bundle.toString())
                    .containerPidFile(bundle.resolve("pidfile").toString())
                    .conmonPidFile(bundle.resolve("conmon-pidfile").toString())
                    .logPath(logDir.resolve(id + ".log").toString())
                    .exitDir(exitDir.toString())
                    .socketDir(socketDir.toString())
                    .logLevel(rt.logLevel())
                    .persistDir(bundle.toString())
                    .systemdCgroup(systemd)
                    .syslog(true)
                    .env(rt.effectiveMonitorEnv(handler))
                    .build();
            long t0 = System.nanoTime();
            ConmonLauncher.Created created = ConmonLauncher.create(launch,
                    Duration.ofSeconds(handler.effectiveContainerCreateTimeout()),
                    conmonPid -> monitors.place(monitorCgroup, sb.cgroupParent(), id, conmonPid));
            undo.push("delete infra container " + id, () -> forceDelete(runtime, id));
            runtime.start(id);
            log.info("Started infra container {} (pid {}) from {} in {} ms", id, created.containerPid(),
                    image.reference(), SandboxRunner.ms(System.nanoTime() - t0));
            return image.reference();
        } catch (ConmonException e) {
            throw new CriException(CriException.Kind.INTERNAL, "failed to create infra container for pod sandbox "
                    + sb.name() + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof CriException ce) {
                throw ce;
            }
            throw new CriException(CriException.Kind.INTERNAL, "failed to start infra container for pod sandbox "
                    + sb.name() + ": " + e.getMessage(), e);
        }
    }

    /** Kills the infra process, waits for conmon to record its exit, deletes it from the runtime, unmounts it. */
    public void stop(SandboxRecord sb) {
        String id = sb.infraContainerId();
        if (id.isEmpty()) {
            return;
        }
        OciRuntimeCli runtime = runtime(sb);
        if (!Files.exists(exitFile(id))) {
            try {
                runtime.kill(id, "KILL");
            } catch (IOException | RuntimeException e) {
                log.debug("Kill of infra container {}: {}", id, e.getMessage());
            }
            waitForExit(id);
        }
        forceDelete(runtime, id);
        try {
            images.get().store().unmount(id, true);
        } catch (IOException | RuntimeException e) {
            log.debug("Unmount of infra container {}: {}", id, e.getMessage());
        }
    }

    /** Removes the infra container's storage and monitor cgroup. Idempotent. */
    public void remove(SandboxRecord sb) {
        String id = sb.infraContainerId();
        if (id.isEmpty()) {
            return;
        }
        try {
            images.get().store().deleteContainer(id);
        } catch (io.crio.storage.ContainerNotFoundException e) {
            // already gone
        } catch (IOException e) {
            throw new CriException(CriException.Kind.INTERNAL, "failed to remove infra container " + id + ": "
                    + e.getMessage(), e);
        }
        monitors.remove(sb.cgroupParent(), id);
        try {
            Files.deleteIfExists(exitFile(id));
        } catch (IOException e) {
            log.debug("Cannot remove exit file of {}: {}", id, e.getMessage());
        }
    }

    /** The infra process's pid as the runtime recorded it, if any. */
    public OptionalInt pid(SandboxRecord sb) {
        try {
            Optional<String> pid = PresentFiles.readString(Path.of(sb.runDir(), "pidfile"));
            return pid.isEmpty() ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(pid.get().trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private void waitForExit(String id) {
        Instant deadline = Instant.now().plus(STOP_WAIT);
        long sleep = 1;
        while (Instant.now().isBefore(deadline)) {
            if (ExitFile.read(Path.of(config.crio().runtime().containerExitsDir()), id).isPresent()) {
                return;
            }
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            sleep = Math.min(sleep * 2, 50);
        }
        log.warn("Infra container {} did not exit within {} s of SIGKILL", id, STOP_WAIT.toSeconds());
    }

    private OciRuntimeCli runtime(SandboxRecord sb) {
        RuntimeSection rt = config.crio().runtime();
        RuntimeHandler handler = rt.runtimes().get(sb.runtimeHandler());
        if (handler == null) {
            handler = rt.defaultRuntimeHandler();
        }
        String path = lookup.find(handler.runtimePath(), sb.runtimeHandler()).map(Path::toString)
                .orElse(sb.runtimeHandler());
        return new OciRuntimeCli(path, handler.runtimeRoot(), RuntimeSection.CGROUP_MANAGER_SYSTEMD.equals(rt.cgroupManager()));
    }

    private static void forceDelete(OciRuntimeCli runtime, String id) {
        try {
            runtime.delete(id, true);
        } catch (IOException | RuntimeException e) {
            log.debug("Delete of container {}: {}", id, e.getMessage());
        }
    }

    private static String metadata(SandboxRecord sb, PauseImage.Resolved image) {
        try {
            return SandboxStore.JSON.writeValueAsString(Map.of(
                    "pod-name", sb.name(), "pod-id", sb.id(), "image-name", image.reference(),
                    "image-id", image.image().id(), "name", sb.name(),
                    "created-at", sb.createdAt() / 1_000_000_000L, "mountlabel", ""));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
