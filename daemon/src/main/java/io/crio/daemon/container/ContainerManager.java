package io.crio.daemon.container;

import com.fasterxml.jackson.databind.JsonNode;
import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.CreateContainerRequest;
import io.crio.api.v1.Device;
import io.crio.api.v1.LinuxContainerResources;
import io.crio.api.v1.Mount;
import io.crio.conmon.ConmonException;
import io.crio.conmon.ConmonLaunch;
import io.crio.conmon.ConmonLauncher;
import io.crio.conmon.ExitFile;
import io.crio.daemon.cgroup.CgroupNaming;
import io.crio.daemon.cgroup.MonitorPlacement;
import io.crio.daemon.cgroup.OomScore;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.RuntimeSection;
import io.crio.daemon.image.ImageBackend;
import io.crio.daemon.sandbox.NameRegistry;
import io.crio.daemon.sandbox.Overlapped;
import io.crio.daemon.sandbox.PendingCreations;
import io.crio.daemon.sandbox.Sandbox;
import io.crio.daemon.sandbox.SandboxRecord;
import io.crio.daemon.sandbox.UndoStack;
import io.crio.daemon.server.AfterReply;
import io.crio.daemon.server.CriException;
import io.crio.image.ImageCatalog;
import io.crio.oci.spec.Spec;
import io.crio.storage.AtomicFiles;
import io.crio.storage.ContainerNotFoundException;
import io.crio.storage.ContainersStore;
import io.crio.storage.ImageRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The container lifecycle: create (storage, spec, conmon + runtime create), start, stop (stop signal, then
 * SIGKILL after the timeout), remove, and the exit bookkeeping read from conmon's exit files.
 */
public final class ContainerManager {

    private static final Logger log = LoggerFactory.getLogger(ContainerManager.class);
    static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** What the manager needs to know about pods. */
    public interface Pods {
        Optional<Sandbox> find(String id);

        int infraPid(SandboxRecord sandbox);
    }

    private final CrioConfig config;
    private final ContainerStore store;
    private final ImageBackend images;
    private final RuntimeHandlers handlers;
    private final Pods pods;
    private final NameRegistry names;
    private final PendingCreations pending;
    private final MonitorPlacement monitors;
    private final CgroupNaming naming;
    private final AppArmorProfiles.Host appArmor = new AppArmorProfiles.KernelHost();

    public ContainerManager(CrioConfig config, ContainerStore store, ImageBackend images, RuntimeHandlers handlers,
                            Pods pods, NameRegistry names, PendingCreations pending, MonitorPlacement monitors) {
        this.config = config;
        this.store = store;
        this.images = images;
        this.handlers = handlers;
        this.pods = pods;
        this.names = names;
        this.pending = pending;
        this.monitors = monitors;
        this.naming = CgroupNaming.forManager(config.crio().runtime().cgroupManager());
    }

    public ContainerStore store() {
        return store;
    }

    // ------------------------------------------------------------------ create

    public String create(CreateContainerRequest request, Function<String, Boolean> callerGone) {
        long entered = System.nanoTime();
        if (!request.hasConfig() || !request.getConfig().hasMetadata() || request.getConfig().getMetadata().getName().isEmpty()) {
            throw CriException.invalidArgument("ContainerConfig.Metadata.Name is empty");
        }
        if (request.getPodSandboxId().isEmpty()) {
            throw CriException.invalidArgument("PodSandboxId should not be empty");
        }
        ContainerConfig c = request.getConfig();
        Sandbox sb = pods.find(request.getPodSandboxId()).orElseThrow(() -> CriException.notFound(
                "pod sandbox " + request.getPodSandboxId() + " not found"));
        if (!sb.record().ready()) {
            throw CriException.failedPrecondition("pod sandbox " + sb.id() + " is not ready");
        }
        if (c.getImage().getImage().isEmpty()) {
            throw CriException.invalidArgument("ContainerConfig.Image.Image is empty");
        }
        validateMounts(c);
        SeccompProfiles.validate(SeccompProfiles.effective(SeccompProfiles.requested(c.getLinux().getSecurityContext()),
                c.getLinux().getSecurityContext().getPrivileged(), config.crio().runtime().privilegedSeccompProfile()));
        String appArmorProfile = AppArmorProfiles.forContainer(c.getLinux().getSecurityContext(),
                config.crio().runtime().apparmorProfile(), appArmor);
        List<ContainerSpecInput.DeviceNode> devices = DeviceNodes.resolve(c.getDevicesList(),
                c.getLinux().getSecurityContext().getPrivileged());
        var pm = sb.config().getMetadata();
        String name = "k8s_" + c.getMetadata().getName() + "_" + pm.getName() + "_" + pm.getNamespace() + "_"
                + pm.getUid() + "_" + c.getMetadata().getAttempt();
        ImageRecord image = images.get().catalog().find(c.getImage().getImage()).orElseThrow(() ->
                CriException.notFound("image not known: " + c.getImage().getImage()));

        return pending.createOnce("container", name, () -> Duration.ofMinutes(4), new PendingCreations.Creation() {
            @Override
            public boolean exists(String id) {
                return store.get(id).isPresent();
            }

            @Override
            public Optional<String> reserve(String id) {
                return names.reserve(name, id);
            }

            @Override
            public void release(String id) {
                names.release(name, id);
            }

            @Override
            public void create(String id) {
                createReserved(id, name, c, sb, image, devices, appArmorProfile, entered);
            }

            @Override
            public boolean callerGone(String id) {
                return callerGone.apply(id);
            }

            @Override
            public CriException nameTaken(String holder) {
                return new CriException(CriException.Kind.ALREADY_EXISTS, "the container name \"" + name
                        + "\" is already in use by " + holder);
            }
        });
    }

    private void validateMounts(ContainerConfig c) {
        for (Mount m : c.getMountsList()) {
            if (!m.getContainerPath().startsWith("/")) {
                throw CriException.invalidArgument("mount container_path \"" + m.getContainerPath() + "\" is not absolute");
            }
            if (!m.getHostPath().startsWith("/")) {
                throw CriException.invalidArgument("mount host_path \"" + m.getHostPath() + "\" is not absolute");
            }
            if (config.crio().runtime().absentMountSourcesToReject().contains(m.getHostPath())
                    && !Files.exists(Path.of(m.getHostPath()))) {
                throw CriException.invalidArgument("mount host_path " + m.getHostPath() + " does not exist");
            }
        }
        String logPath = c.getLogPath();
        if (Path.of(logPath).normalize().startsWith("..") || logPath.contains("/../")) {
            throw CriException.invalidArgument("log_path \"" + logPath + "\" leaves the pod's log directory");
        }
    }

    /**
     * Creates the reserved container. conmon is spawned first: it starts up (loads, parses its arguments,
     * opens the log) while the storage and the spec are prepared, and is let go once {@code config.json}
     * is written. Every step is undone when a later one fails.
     */
    private void createReserved(String id, String name, ContainerConfig c, Sandbox sb, ImageRecord image,
                                List<ContainerSpecInput.DeviceNode> devices, String appArmorProfile, long entered) {
        long t0 = System.nanoTime();
        SandboxRecord pod = sb.record();
        RuntimeHandlers.Resolved handler = handlers.resolve(pod.runtimeHandler());
        ContainersStore storage = images.get().store();
        RuntimeSection rt = config.crio().runtime();
        UndoStack undo = new UndoStack();
        try {
            Path runDir = Path.of(config.crio().runroot(), "overlay-containers", id);
            Path bundle = runDir.resolve("userdata");
            Path persist = Path.of(config.crio().root(), "overlay-containers", id, "userdata");
            Path logPath = logPath(id, c, sb);
            directory(logPath.getParent());
            if (!Files.exists(logPath)) {
                undo.push("remove log file " + logPath, () -> Files.deleteIfExists(logPath));
            }
            boolean madeRunDir = !Files.exists(runDir);
            AtomicFiles.createDirectory(bundle, AtomicFiles.PRIVATE_DIR);
            if (madeRunDir) {
                undo.push("remove " + runDir, () -> io.crio.daemon.sandbox.SandboxFiles.deleteTree(runDir));
            }
            // the storage container is made and mounted on its own thread while conmon is spawned and
            // the spec is built; the root file system is handed on as soon as it is mounted, while the store
            // writes its records
            long[] storageNanos = new long[2];
            CompletableFuture<Path> mountedAt = new CompletableFuture<>();
            Overlapped<Path, IOException> mounted = Overlapped.start("storage " + id, () -> {
                long t = System.nanoTime();
                try {
                    return storage.createMountedContainer(id, List.of(name), image.id(),
                            "{\"pod-id\":\"" + sb.id() + "\",\"name\":\"" + name + "\"}", at -> {
                                storageNanos[1] = System.nanoTime() - t;
                                mountedAt.complete(at);
                            }).rootfs();
                } finally {
                    storageNanos[0] = System.nanoTime() - t;
                    mountedAt.complete(null);
                }
            });
            undo.push("delete storage container " + id, () -> {
                if (madeBy(mounted)) {
                    storage.unmount(id, true);
                    storage.deleteContainer(id);
                }
            });
            Path exitDir = directory(Path.of(rt.containerExitsDir()));
            if (Files.exists(exitDir.resolve(id))) {
                Files.deleteIfExists(exitDir.resolve(id));
            }
            Path socketDir = directory(Path.of(rt.containerAttachSocketDir()));
            ConmonLaunch launch = conmonLaunch(id, name, c, handler, bundle, persist, logPath, exitDir, socketDir);
            long[] spawnNanos = new long[1];
            Overlapped<ConmonLauncher.Spawned, ConmonException> conmon = Overlapped.start("conmon spawn " + id, () -> {
                long t = System.nanoTime();
                try {
                    return ConmonLauncher.spawn(launch);
                } finally {
                    spawnNanos[0] = System.nanoTime() - t;
                }
            });
            undo.push("stop conmon of " + id, () -> stopSpawned(conmon));
            long tImage = System.nanoTime();

            ContainerSpecInput.ImageDefaults defaults = ImageDefaultsReader.forImage(storage, image.id());
            ImageCatalog.Names names = ImageCatalog.names(image);
            String imageName = names.repoTags().isEmpty() ? c.getImage().getImage() : names.repoTags().get(0);
            String imageRef = names.repoDigests().isEmpty() ? image.id() : names.repoDigests().get(0);

            long imageNanos = System.nanoTime() - tImage;
            long tSpec = System.nanoTime();
            long waitNanos = 0;
            makeMountTargets(c);
            var sec = c.getLinux().getSecurityContext();
            Optional<ImageUser.Accounts> known = ImageUser.cached(image.id());
            Path rootfs = null;
            if (known.isEmpty()) {
                // the first container of an image: its accounts are read from its root file system
                long w = System.nanoTime();
                rootfs = rootfsOf(mountedAt, mounted);
                waitNanos += System.nanoTime() - w;
            }
            ImageUser.Accounts accounts = known.isPresent() ? known.get() : ImageUser.remember(image.id(), rootfs);
            ImageUser.Resolved user = ImageUser.resolve(accounts, sec.hasRunAsUser() ? sec.getRunAsUser().getValue() : null,
                    sec.getRunAsUsername(), sec.hasRunAsGroup() ? sec.getRunAsGroup().getValue() : null,
                    sec.getSupplementalGroupsList(), defaults.user());
            long created = nowNanos();
            int oomScore = OomScore.clamp(-1000);
            ContainerSpecInput input = new ContainerSpecInput(id, name, c, defaults,
                    new ContainerSpecInput.Pod(sb.id(), sb.name(), sb.config(), pod.hostname(), pod.namespaces(),
                            pods.infraPid(pod), pod.shmPath(), pod.resolvPath(), pod.hostnamePath(), pod.cgroupParent()),
                    null, user,
                    new ContainerSpecInput.Settings(rt.defaultCapabilities(), Capabilities.bounding(), rt.defaultEnv(),
                            rt.defaultUlimits(), rt.pidsLimit(), naming.containerCgroupsPath(pod.cgroupParent(), id),
                            oomScore, oomScore == -1000),
                    logPath.toString(), created, imageName, imageRef, devices, null, null);
            input = input.withSeccomp(SeccompProfiles.forContainer(SeccompProfiles.requested(sec), sec.getPrivileged(),
                    rt.seccompProfile(), rt.privilegedSeccompProfile(), ContainerSpecBuilder.capabilities(input)));
            input = input.withAppArmor(appArmorProfile);
            Spec unrooted = ContainerSpecBuilder.build(input);
            if (rootfs == null) {
                long w = System.nanoTime();
                rootfs = rootfsOf(mountedAt, mounted);
                waitNanos += System.nanoTime() - w;
            }
            ImageVolumes.apply(config.crio().image().imageVolumes(), rootfs, defaults.volumes());
            Spec spec = unrooted.withRootPath(rootfs.toString());
            AtomicFiles.replace(bundle.resolve("config.json"), spec.toJson(), AtomicFiles.PRIVATE_FILE);

            long specNanos = System.nanoTime() - tSpec - waitNanos;
            // the state file is written and flushed while conmon and the runtime create the container
            String stopSignal = StopSignals.of(c, defaults.stopSignal());
            IntFunction<ContainerState> state = pid -> new ContainerState(ContainerState.VERSION, id, name, sb.id(),
                    c.toByteArray(), image.id(), imageName, imageRef, pod.runtimeHandler(), created, 0, 0, 0,
                    ContainerState.CREATED, "", "", logPath.toString(), bundle.toString(), pid, stopSignal,
                    c.getLinux().getResources().toByteArray());
            long[] stateFlushNanos = new long[1];
            Overlapped<Void, IOException> durable = Overlapped.start("state " + id, () -> {
                long t = System.nanoTime();
                store.persist(state.apply(0));
                stateFlushNanos[0] = System.nanoTime() - t;
                return null;
            });
            undo.push("remove state file of " + id, () -> {
                try {
                    durable.join();
                } finally {
                    store.discard(id);
                }
            });
            long tConmon = System.nanoTime();
            long[] placeNanos = new long[1];
            ConmonLauncher.Created createdProc = conmon.join().proceed(
                    Duration.ofSeconds(handler.handler().effectiveContainerCreateTimeout()),
                    conmonPid -> {
                        long p0 = System.nanoTime();
                        monitors.place(handler.monitorCgroup(), pod.cgroupParent(), id, conmonPid);
                        placeNanos[0] = System.nanoTime() - p0;
                    });
            undo.push("delete container " + id + " from the runtime", () -> handler.cli().delete(id, true));
            undo.push("remove conmon cgroup of " + id, () -> monitors.remove(pod.cgroupParent(), id));

            long conmonNanos = System.nanoTime() - tConmon;
            long tState = System.nanoTime();
            mounted.join();
            durable.join();
            store.register(state.apply(createdProc.containerPid()));
            undo.commit();
            long done = System.nanoTime();
            long[] steps = {t0 - entered, imageNanos, specNanos, waitNanos, conmonNanos, placeNanos[0], done - tState,
                    spawnNanos[0], storageNanos[1], storageNanos[0], stateFlushNanos[0]};
            AfterReply.run(() -> log.info("Created container {}: {} in {} ms: checks {} ms, image {} ms, spec {} ms,"
                            + " storage wait {} ms, conmon+runtime {} ms (monitor cgroup {} ms), state {} ms; overlapped:"
                            + " conmon spawn {} ms, storage mount {} ms, storage {} ms, state flush {} ms", id, name,
                    ms(done - entered), ms(steps[0]), ms(steps[1]), ms(steps[2]), ms(steps[3]), ms(steps[4]),
                    ms(steps[5]), ms(steps[6]), ms(steps[7]), ms(steps[8]), ms(steps[9]), ms(steps[10])));
        } catch (ConmonException | IOException e) {
            undo.rollback();
            throw new CriException(CriException.Kind.INTERNAL, "failed to create container " + name + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            undo.rollback();
            throw e;
        }
    }

    /**
     * The root file system the storage step mounted, as soon as it is mounted; the step's own failure when it
     * ended without one.
     */
    private static Path rootfsOf(CompletableFuture<Path> mountedAt, Overlapped<Path, IOException> storageStep)
            throws IOException {
        Path rootfs = mountedAt.join();
        return rootfs != null ? rootfs : storageStep.join();
    }

    /** Whether the overlapped storage step made its container (a failed step removed what it made). */
    private static boolean madeBy(Overlapped<Path, IOException> storageStep) {
        try {
            storageStep.join();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Kills a conmon spawned for a create that failed before letting it go; nothing when the spawn failed. */
    private static void stopSpawned(Overlapped<ConmonLauncher.Spawned, ConmonException> spawn) {
        try {
            spawn.join().close();
        } catch (ConmonException e) {
            // nothing was started
        }
    }

    private ConmonLaunch conmonLaunch(String id, String name, ContainerConfig c, RuntimeHandlers.Resolved handler,
                                      Path bundle, Path persist, Path logPath, Path exitDir, Path socketDir) {
        RuntimeSection rt = config.crio().runtime();
        return ConmonLaunch.builder()
                .conmonPath(handler.conmonPath().toString())
                .runtimePath(handler.runtimePath().toString())
                .runtimeRoot(handler.handler().runtimeRoot())
                .containerId(id).containerName(name)
                .bundleDir(bundle.toString())
                .containerPidFile(bundle.resolve("pidfile").toString())
                .conmonPidFile(bundle.resolve("conmon-pidfile").toString())
                .logPath(logPath.toString())
                .exitDir(exitDir.toString())
                .socketDir(socketDir.toString())
                .logLevel(rt.logLevel())
                .persistDir(persist.toString())
                .terminal(c.getTty()).stdin(c.getStdin()).stdinOnce(c.getStdinOnce())
                .logSizeMax(rt.logSizeMax())
                .systemdCgroup(handler.systemd())
                .syslog(true)
                .env(rt.effectiveMonitorEnv(handler.handler()))
                .build();
    }

    /** {@code dir}, made with its parents unless it is there: the usual case, which then costs one stat. */
    private static Path directory(Path dir) throws IOException {
        return Files.isDirectory(dir) ? dir : Files.createDirectories(dir);
    }

    /** Host paths of bind mounts that do not exist are made as directories, as CRI-O does. */
    private static void makeMountTargets(ContainerConfig c) throws IOException {
        for (Mount m : c.getMountsList()) {
            Path host = Path.of(m.getHostPath());
            if (!Files.exists(host, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(host)) {
                Files.createDirectories(host);
            }
        }
    }

    private Path logPath(String id, ContainerConfig c, Sandbox sb) {
        String dir = sb.config().getLogDirectory().isEmpty()
                ? Path.of(config.crio().logDir(), sb.id()).toString() : sb.config().getLogDirectory();
        if (c.getLogPath().isEmpty()) {
            return Path.of(dir, id + ".log");
        }
        Path p = Path.of(c.getLogPath());
        return p.isAbsolute() ? p : Path.of(dir).resolve(p).normalize();
    }

    // ------------------------------------------------------------------ start / stop / remove

    public void start(String idOrPrefix) {
        long entered = System.nanoTime();
        ContainerStore.Entry e = require(idOrPrefix);
        e.lock().lock();
        try {
            ContainerState s = refresh(e);
            if (!ContainerState.CREATED.equals(s.status())) {
                throw CriException.failedPrecondition("container " + s.id() + " is not in created state: " + s.status());
            }
            ContainerState started = s.started(nowNanos());
            var cli = handlers.resolve(s.runtimeHandler()).cli();
            // the started state is written while the runtime starts the container, and recorded once it has
            IOException[] notSaved = {null};
            long t0 = System.nanoTime();
            try {
                cli.start(s.id(), () -> {
                    try {
                        store.save(started);
                    } catch (IOException ex) {
                        notSaved[0] = ex;
                    }
                });
            } catch (IOException ex) {
                store.update(e, st -> st.exited(nowNanos(), 128, "Error", ex.getMessage()));
                throw new CriException(CriException.Kind.INTERNAL, "failed to start container " + s.id() + ": "
                        + ex.getMessage(), ex);
            }
            long runtimeNanos = System.nanoTime() - t0;
            if (notSaved[0] != null) {
                throw new CriException(CriException.Kind.INTERNAL, "container " + s.id() + " was started, but its"
                        + " state could not be saved: " + notSaved[0].getMessage(), notSaved[0]);
            }
            store.record(e, started);
            long took = System.nanoTime() - entered;
            AfterReply.run(() -> log.info("Started container {}: {} in {} ms: runtime {} ms", s.id(), s.name(), ms(took),
                    ms(runtimeNanos)));
        } finally {
            e.lock().unlock();
        }
    }

    /** Stops the container: its stop signal, then SIGKILL once {@code timeoutSeconds} have passed. Idempotent. */
    public void stop(String idOrPrefix, long timeoutSeconds) {
        Optional<ContainerStore.Entry> found = store.find(idOrPrefix);
        if (found.isEmpty()) {
            throw CriException.notFound("could not find container \"" + idOrPrefix + "\"");
        }
        ContainerStore.Entry e = found.get();
        e.lock().lock();
        try {
            ContainerState s = refresh(e);
            if (ContainerState.EXITED.equals(s.status())) {
                return;
            }
            var cli = handlers.resolve(s.runtimeHandler()).cli();
            if (ContainerState.CREATED.equals(s.status())) {
                killQuietly(cli, s.id(), "KILL");
                awaitExit(s, KILL_WAIT);
                refresh(e);
                return;
            }
            if (timeoutSeconds > 0) {
                killQuietly(cli, s.id(), s.stopSignal().isEmpty() ? "TERM" : s.stopSignal());
                if (awaitExit(s, Duration.ofSeconds(timeoutSeconds))) {
                    refresh(e);
                    AfterReply.run(() -> log.info("Stopped container {}: {}", s.id(), s.name()));
                    return;
                }
                log.info("Container {} did not stop within {} s; killing it", s.id(), timeoutSeconds);
            }
            killQuietly(cli, s.id(), "KILL");
            if (!awaitExit(s, KILL_WAIT)) {
                throw new CriException(CriException.Kind.INTERNAL, "container " + s.id() + " did not exit after SIGKILL");
            }
            refresh(e);
            AfterReply.run(() -> log.info("Stopped container {}: {}", s.id(), s.name()));
        } finally {
            e.lock().unlock();
        }
    }

    /** Removes the container (killing it if needed) with its storage, runtime state and name. Idempotent. */
    public void remove(String idOrPrefix) {
        Optional<ContainerStore.Entry> found = store.find(idOrPrefix);
        if (found.isEmpty()) {
            return;
        }
        ContainerStore.Entry e = found.get();
        e.lock().lock();
        try {
            ContainerState s = refresh(e);
            var handler = handlers.resolve(s.runtimeHandler());
            if (!ContainerState.EXITED.equals(s.status())) {
                killQuietly(handler.cli(), s.id(), "KILL");
                awaitExit(s, KILL_WAIT);
            }
            try {
                handler.cli().delete(s.id(), true);
            } catch (IOException ex) {
                log.debug("runtime delete of {}: {}", s.id(), ex.getMessage());
            }
            try {
                images.get().store().deleteContainer(s.id());
            } catch (ContainerNotFoundException ex) {
                // already gone
            }
            pods.find(s.sandboxId()).ifPresent(sb -> monitors.remove(sb.record().cgroupParent(), s.id()));
            Files.deleteIfExists(exitFile(s.id()));
            store.delete(e);
            names.release(s.name(), s.id());
            pending.forget(s.name());
            AfterReply.run(() -> log.info("Removed container {}: {}", s.id(), s.name()));
        } catch (IOException ex) {
            throw new CriException(CriException.Kind.INTERNAL, "failed to remove container " + s(e) + ": "
                    + ex.getMessage(), ex);
        } finally {
            e.lock().unlock();
        }
    }

    private static String s(ContainerStore.Entry e) {
        return e.state().id();
    }

    /** Stops every container of a pod at once (no grace period), then its caller tears the pod down. */
    public void stopAll(String sandboxId) {
        for (ContainerStore.Entry e : List.copyOf(store.all())) {
            if (e.state().sandboxId().equals(sandboxId)) {
                stop(e.state().id(), 0);
            }
        }
    }

    public void removeAll(String sandboxId) {
        for (ContainerStore.Entry e : List.copyOf(store.all())) {
            if (e.state().sandboxId().equals(sandboxId)) {
                remove(e.state().id());
            }
        }
    }

    public void updateResources(String idOrPrefix, LinuxContainerResources resources) {
        ContainerStore.Entry e = require(idOrPrefix);
        ContainerState s = refresh(e);
        if (ContainerState.EXITED.equals(s.status())) {
            throw CriException.failedPrecondition("container " + s.id() + " is not running");
        }
        Spec.Resources spec = ContainerSpecBuilder.resources(resources, 0, false, List.of());
        try {
            handlers.resolve(s.runtimeHandler()).cli().update(s.id(), UpdateJson.of(spec));
        } catch (IOException ex) {
            throw new CriException(CriException.Kind.INTERNAL, "failed to update container " + s.id() + ": "
                    + ex.getMessage(), ex);
        }
        store.update(e, st -> st.withResources(resources.toByteArray()));
    }

    /** Output cap of ExecSync per stream, as CRI-O's. */
    static final int MAX_EXEC_OUTPUT = 16 * 1024 * 1024;

    /** Runs {@code cmd} in the running container through conmon's exec mode; a timeout is exit code -1, not an error. */
    public io.crio.conmon.ExecSync.Result execSync(String idOrPrefix, List<String> cmd, long timeoutSeconds) {
        if (cmd.isEmpty()) {
            throw CriException.invalidArgument("ExecSync: cmd is empty");
        }
        ContainerState s = refresh(require(idOrPrefix));
        if (!ContainerState.RUNNING.equals(s.status())) {
            throw CriException.failedPrecondition("container " + s.id() + " is not running (" + s.status() + ")");
        }
        RuntimeHandlers.Resolved handler = handlers.resolve(s.runtimeHandler());
        try {
            JsonNode spec = ContainerStore.JSON.readTree(Files.readAllBytes(Path.of(s.bundle(), "config.json")));
            com.fasterxml.jackson.databind.node.ObjectNode process = spec.path("process").deepCopy();
            com.fasterxml.jackson.databind.node.ArrayNode args = process.putArray("args");
            cmd.forEach(args::add);
            process.put("terminal", false);
            Path work = directory(Path.of(config.crio().runroot(), "crio-exec"));
            RuntimeSection rt = config.crio().runtime();
            return io.crio.conmon.ExecSync.run(new io.crio.conmon.ExecSync.Request(handler.conmonPath().toString(),
                    handler.runtimePath().toString(), handler.handler().runtimeRoot(), s.id(), s.name(),
                    ContainerStore.JSON.writeValueAsBytes(process), work, rt.containerAttachSocketDir(), rt.logLevel(),
                    timeoutSeconds, handler.systemd(), rt.effectiveMonitorEnv(handler.handler()), MAX_EXEC_OUTPUT));
        } catch (ConmonException e) {
            throw new CriException(CriException.Kind.INTERNAL, "exec in container " + s.id() + " failed: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new CriException(CriException.Kind.INTERNAL, "exec in container " + s.id() + " failed: "
                    + e.getMessage(), e);
        }
    }

    /** Asks conmon (through its control fifo) to reopen the log file, then waits until it has. */
    public void reopenLog(String idOrPrefix) {
        ContainerState s = refresh(require(idOrPrefix));
        if (!ContainerState.RUNNING.equals(s.status())) {
            throw CriException.failedPrecondition("container " + s.id() + " is not running");
        }
        Path ctl = Path.of(s.bundle(), "ctl");
        try (var out = Files.newOutputStream(ctl, java.nio.file.StandardOpenOption.WRITE)) {
            out.write("2 0 0\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new CriException(CriException.Kind.INTERNAL, "failed to open container ctl file: " + e.getMessage(), e);
        }
        Path logFile = Path.of(s.logPath());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(logFile)) {
            if (System.nanoTime() > deadline) {
                throw new CriException(CriException.Kind.INTERNAL, "conmon did not reopen the log of " + s.id());
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ------------------------------------------------------------------ state

    public ContainerStore.Entry require(String idOrPrefix) {
        if (idOrPrefix.isEmpty()) {
            throw CriException.invalidArgument("ContainerId should not be empty");
        }
        return store.find(idOrPrefix).orElseThrow(() -> CriException.notFound("could not find container \""
                + idOrPrefix + "\""));
    }

    Path exitFile(String id) {
        return Path.of(config.crio().runtime().containerExitsDir(), id);
    }

    /** Brings the recorded state up to date with conmon's exit file; returns the current state. */
    public ContainerState refresh(ContainerStore.Entry e) {
        ContainerState s = e.state();
        if (ContainerState.EXITED.equals(s.status())) {
            return s;
        }
        Path exit = exitFile(s.id());
        OptionalInt code = ExitFile.read(exit.getParent(), s.id());
        if (code.isEmpty()) {
            return s;
        }
        long finished;
        try {
            Instant m = Files.getLastModifiedTime(exit).toInstant();
            finished = m.getEpochSecond() * 1_000_000_000L + m.getNano();
        } catch (IOException ex) {
            finished = nowNanos();
        }
        boolean oom = Files.exists(Path.of(config.crio().root(), "overlay-containers", s.id(), "userdata", "oom"))
                || Files.exists(Path.of(s.bundle(), "oom"));
        String reason = oom ? "OOMKilled" : code.getAsInt() == 0 ? "Completed" : "Error";
        long exitedAt = finished;
        // decided under the entry's lock: a start recorded meanwhile bounds the (coarse) exit file time
        return store.update(e, st -> ContainerState.EXITED.equals(st.status()) ? st
                : st.exited(Math.max(exitedAt, st.startedAt()), code.getAsInt(), reason, ""));
    }

    private boolean awaitExit(ContainerState s, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long sleep = 1;
        Path dir = exitFile(s.id()).getParent();
        while (true) {
            if (ExitFile.read(dir, s.id()).isPresent()) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return false;
            }
            sleep = Math.min(sleep * 2, 20);
        }
    }

    private static void killQuietly(io.crio.oci.OciRuntimeCli cli, String id, String signal) {
        try {
            cli.kill(id, signal);
        } catch (IOException e) {
            log.debug("kill {} {}: {}", signal, id, e.getMessage());
        }
    }

    static String ms(long nanos) {
        return io.crio.daemon.logging.Millis.of(nanos);
    }

    static long nowNanos() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    static List<String> jsonStrings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }

    static boolean isDevice(Device d) {
        return !d.getHostPath().isEmpty();
    }
}
