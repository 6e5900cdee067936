package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.api.v1.Capability;
import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.ContainerFilter;
import io.crio.api.v1.ContainerMetadata;
import io.crio.api.v1.ContainerState;
import io.crio.api.v1.ContainerStatus;
import io.crio.api.v1.ContainerStatusRequest;
import io.crio.api.v1.CreateContainerRequest;
import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.Int64Value;
import io.crio.api.v1.KeyValue;
import io.crio.api.v1.LinuxContainerConfig;
import io.crio.api.v1.LinuxContainerResources;
import io.crio.api.v1.LinuxContainerSecurityContext;
import io.crio.api.v1.LinuxPodSandboxConfig;
import io.crio.api.v1.LinuxSandboxSecurityContext;
import io.crio.api.v1.ListContainersRequest;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.NamespaceOption;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.PullImageRequest;
import io.crio.api.v1.RemoveContainerRequest;
import io.crio.api.v1.RemovePodSandboxRequest;
import io.crio.api.v1.RunPodSandboxRequest;
import io.crio.api.v1.StartContainerRequest;
import io.crio.api.v1.StopContainerRequest;
import io.crio.api.v1.StopPodSandboxRequest;
import io.crio.api.v1.UpdateContainerResourcesRequest;
import io.crio.e2e.registry.FixtureImages;
import io.crio.e2e.registry.ImageBuilder;
import io.crio.e2e.registry.RegistryPusher;
import io.crio.e2e.registry.RegistryServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Containers through conmon and runc: logs, exit codes, the spec's merge rules and security settings. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContainerIT {

    static final Duration START = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    RegistryServer registry;
    CrioProcess crio;
    CriClient client;
    CniFixtures net;
    String busybox;
    String merge;
    String podId;
    PodSandboxConfig podConfig;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryServer.start();
        RegistryPusher pusher = RegistryPusher.of(registry);
        busybox = FixtureImages.singleLayer(pusher, "e2e/busybox", "1").reference(registry.url());
        merge = ImageBuilder.oci().layer(FixtureImages.baseLayer()).entrypoint("/bin/sh", "-c")
                .cmd("echo image-cmd; pwd; echo $FROM_IMAGE $OVERRIDE").env("FROM_IMAGE=image")
                .env("OVERRIDE=image").workingDir("/tmp").push(pusher, "e2e/merge", "1").reference(registry.url());
        String pause = FixtureImages.pause(pusher, "e2e/pause", "1").reference(registry.url());
        net = CniFixtures.random("e2e-ctr", dir);
        Path broken = dir.resolve("broken-runtime");
        Files.writeString(broken, "#!/bin/sh\necho \"failpoint: the runtime refuses to create\" >&2\nexit 1\n");
        broken.toFile().setExecutable(true);
        Files.createDirectories(dir.resolve("net.d"));
        Files.writeString(dir.resolve("net.d/10-e2e.conflist"), net.conflist());
        // privileged containers get this profile: everything but unshare
        Files.writeString(dir.resolve("privileged-seccomp.json"), """
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
                """);
        Files.writeString(dir.resolve("crio.conf"), """
                [crio]
                log_dir = "%1$s/pod-logs"
                [crio.runtime]
                namespaces_dir = "%1$s/ns"
                container_exits_dir = "%1$s/exits"
                container_attach_socket_dir = "%1$s/attach"
                pids_limit = 64
                privileged_seccomp_profile = "%1$s/privileged-seccomp.json"
                [crio.runtime.runtimes.runc]
                runtime_root = "%1$s/runc-root"
                [crio.runtime.runtimes.broken]
                runtime_path = "%2$s"
                runtime_root = "%1$s/broken-root"
                [crio.image]
                pause_image = "%3$s"
                pause_command = "/pause"
                [crio.network]
                network_dir = "%1$s/net.d"
                """.formatted(dir, broken, pause));
        crio = CrioProcess.start(dir, Map.of()).awaitReady(START);
        client = new CriClient(crio.socket());
        for (String image : List.of(busybox, merge)) {
            client.images().withDeadlineAfter(120, TimeUnit.SECONDS).pullImage(PullImageRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(image)).build());
        }
        podConfig = pod("ctr-pod");
        podId = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(podConfig).build())
                .getPodSandboxId();
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            client.removeAllPods();
            client.close();
        }
        if (crio != null) {
            crio.close();
        }
        if (registry != null) {
            registry.close();
        }
        net.deleteBridge();
    }

    PodSandboxConfig pod(String name) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("e2e").setUid("uid-" + name))
                .setHostname(name)
                .setLogDirectory(dir.resolve("logs").resolve(name).toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER))))
                .build();
    }

    static ContainerConfig.Builder ctr(String name, String image, String... command) {
        return ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(List.of(command))
                .setLogPath(name + "/0.log");
    }

    String create(ContainerConfig.Builder c) {
        return client.runtime().withDeadlineAfter(120, TimeUnit.SECONDS).createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setConfig(c).setSandboxConfig(podConfig).build()).getContainerId();
    }

    void startC(String id) {
        client.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
    }

    ContainerStatus status(String id) {
        return client.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    }

    /** Runs a container to its end; returns its final status. */
    ContainerStatus runToExit(ContainerConfig.Builder c) throws Exception {
        String id = create(c);
        startC(id);
        ContainerStatus st = status(id);
        for (int i = 0; i < 1000 && st.getState() != ContainerState.CONTAINER_EXITED; i++) {
            Thread.sleep(10);
            st = status(id);
        }
        assertEquals(ContainerState.CONTAINER_EXITED, st.getState(), st.toString());
        return st;
    }

    void remove(String id) {
        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    }

    static String log(ContainerStatus st) throws Exception {
        return Files.readString(Path.of(st.getLogPath()));
    }

    @Test
    void outputGoesToTheCriLogAndExitsAreReported() throws Exception {
        ContainerStatus ok = runToExit(ctr("echo", busybox, "/bin/sh", "-c", "echo out; echo err >&2"));
        assertEquals(0, ok.getExitCode());
        assertEquals("Completed", ok.getReason());
        assertTrue(ok.getStartedAt() > ok.getCreatedAt() && ok.getFinishedAt() >= ok.getStartedAt(), ok.toString());
        assertEquals(dir.resolve("logs/ctr-pod/echo/0.log").toString(), ok.getLogPath());
        List<String> lines = log(ok).lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+\\S* stdout F out")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\S+ stderr F err")), lines.toString());

        ContainerStatus three = runToExit(ctr("three", busybox, "/bin/sh", "-c", "exit 3"));
        assertEquals(3, three.getExitCode());
        assertEquals("Error", three.getReason());
        remove(ok.getId());
        remove(three.getId());
    }

    @Test
    void anExitIsRecordedWithoutBeingAskedFor() throws Exception {
        String id = create(ctr("quick", busybox, "/bin/sh", "-c", "exit 5"));
        startC(id);
        Path state = dir.resolve("root/crio/containers").resolve(id + ".json");
        boolean recorded = false;
        for (int i = 0; i < 500 && !recorded; i++) {
            Thread.sleep(10);
            recorded = Files.readString(state).contains("\"status\":\"exited\"");
        }
        assertTrue(recorded, "the exit watcher recorded the exit: " + Files.readString(state));
        assertEquals(5, status(id).getExitCode());
        remove(id);
    }

    @Test
    void commandArgsEnvAndWorkdirMergeWithTheImage() throws Exception {
        ContainerStatus image = runToExit(ctr("from-image", merge).addEnvs(KeyValue.newBuilder().setKey("OVERRIDE")
                .setValue(com.google.protobuf.ByteString.copyFromUtf8("cri"))));
        assertEquals(List.of("image-cmd", "/tmp", "image cri"), messages(image));
        ContainerStatus args = runToExit(ctr("args", merge).addArgs("echo from-args").setWorkingDir("/home"));
        assertEquals(List.of("from-args"), messages(args));
        ContainerStatus command = runToExit(ctr("command", merge, "/bin/sh", "-c", "pwd").setWorkingDir("/home"));
        assertEquals(List.of("/home"), messages(command));
        for (ContainerStatus s : List.of(image, args, command)) {
            remove(s.getId());
        }
    }

    static List<String> messages(ContainerStatus st) throws Exception {
        return log(st).lines().map(l -> l.split(" ", 4)[3]).toList();
    }

    @Test
    void runsAsAUserNamedInTheImage() throws Exception {
        ContainerStatus st = runToExit(ctr("user", busybox, "/bin/sh", "-c", "id -u; id -g").setLinux(
                LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setRunAsUsername("app"))));
        assertEquals(List.of("1000", "1000"), messages(st));
        remove(st.getId());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> create(ctr("nouser", busybox, "true")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setRunAsUsername("nosuchuser")))));
        assertTrue(e.getStatus().getDescription().contains("nosuchuser"), e.getStatus().toString());
    }

    @Test
    void securitySettingsAreEnforced() throws Exception {
        ContainerStatus ro = runToExit(ctr("ro", busybox, "/bin/sh", "-c", "touch /x && echo wrote || echo refused")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setReadonlyRootfs(true))));
        assertEquals(List.of("refused"), messages(ro).stream().filter(m -> !m.startsWith("touch")).toList());
        ContainerStatus chown = runToExit(ctr("nochown", busybox, "/bin/sh", "-c",
                "touch /tmp/f && chown 1000 /tmp/f && echo chowned || echo denied")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setCapabilities(Capability.newBuilder().addDropCapabilities("CHOWN")))));
        // stdout and stderr reach the log through separate pipes, so their order is not fixed
        assertTrue(messages(chown).contains("denied") && !messages(chown).contains("chowned"), messages(chown).toString());
        ContainerStatus privileged = runToExit(ctr("priv", busybox, "/bin/sh", "-c", "ls /dev | wc -l")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setPrivileged(true))));
        ContainerStatus plain = runToExit(ctr("plain", busybox, "/bin/sh", "-c", "ls /dev | wc -l"));
        assertTrue(Integer.parseInt(messages(privileged).get(0).trim()) > Integer.parseInt(messages(plain).get(0).trim()) + 5,
                "privileged sees the host's devices: " + messages(privileged) + " vs " + messages(plain));
        ContainerStatus pids = runToExit(ctr("pids", busybox, "/bin/sh", "-c",
                "cat /sys/fs/cgroup/pids/pids.max; for i in $(seq 1 100); do sleep 1 & done 2>/tmp/e; wait;"
                        + " echo fork-errors=$(grep -c fork /tmp/e)"));
        assertEquals("64", messages(pids).get(0), log(pids));
        // a 65th process cannot be forked: the shell reports it, or dies of it
        assertTrue(pids.getExitCode() != 0 || messages(pids).stream().anyMatch(m -> m.matches("fork-errors=[1-9][0-9]*")),
                pids.getExitCode() + " " + log(pids));
        for (ContainerStatus s : List.of(ro, chown, privileged, plain, pids)) {
            remove(s.getId());
        }
    }

    @Test
    void seccompRuntimeDefaultFiltersAndUnconfinedDoesNot() throws Exception {
        ContainerStatus filtered = runToExit(ctr("seccomp-default", busybox, "/bin/sh", "-c",
                "grep '^Seccomp:' /proc/self/status; unshare -n true 2>/dev/null && echo unshared || echo refused"));
        assertTrue(messages(filtered).get(0).matches("Seccomp:\\s+2"), messages(filtered).toString());
        assertEquals("refused", messages(filtered).get(1));
        ContainerStatus open = runToExit(ctr("seccomp-unconfined", busybox, "/bin/sh", "-c", "grep '^Seccomp:' /proc/self/status")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setSeccomp(io.crio.api.v1.SecurityProfile.newBuilder()
                                .setProfileType(io.crio.api.v1.SecurityProfile.ProfileType.Unconfined)))));
        assertTrue(messages(open).get(0).matches("Seccomp:\\s+0"), messages(open).toString());
        // the deprecated seccomp_profile_path still works for older kubelets
        ContainerStatus legacy = runToExit(ctr("seccomp-legacy", busybox, "/bin/sh", "-c", "grep '^Seccomp:' /proc/self/status")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setSeccompProfilePath("unconfined"))));
        assertTrue(messages(legacy).get(0).matches("Seccomp:\\s+0"), messages(legacy).toString());
        // privileged_seccomp_profile confines privileged containers, whatever they asked for
        ContainerStatus privileged = runToExit(ctr("seccomp-privileged", busybox, "/bin/sh", "-c",
                "grep '^Seccomp:' /proc/self/status; unshare -n true 2>/dev/null && echo unshared || echo refused")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setPrivileged(true).setSeccomp(io.crio.api.v1.SecurityProfile.newBuilder()
                                .setProfileType(io.crio.api.v1.SecurityProfile.ProfileType.Unconfined)))));
        assertTrue(messages(privileged).get(0).matches("Seccomp:\\s+2"), messages(privileged).toString());
        assertEquals("refused", messages(privileged).get(1), messages(privileged).toString());
        StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> create(ctr("seccomp-bad", busybox,
                "true").setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setSeccomp(io.crio.api.v1.SecurityProfile.newBuilder()
                                .setProfileType(io.crio.api.v1.SecurityProfile.ProfileType.Localhost)
                                .setLocalhostRef("/nonexistent/profile.json"))))));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        remove(filtered.getId());
        remove(open.getId());
        remove(legacy.getId());
        remove(privileged.getId());
    }

    @Test
    void stopSendsTheSignalThenKillsAfterTheTimeout() throws Exception {
        String id = create(ctr("stubborn", busybox, "/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"));
        startC(id);
        assertEquals(ContainerState.CONTAINER_RUNNING, status(id).getState());
        long t0 = System.nanoTime();
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(2).build());
        double seconds = (System.nanoTime() - t0) / 1e9;
        ContainerStatus st = status(id);
        assertEquals(ContainerState.CONTAINER_EXITED, st.getState());
        assertEquals(137, st.getExitCode());
        assertTrue(seconds >= 1.9 && seconds < 15, "stop took " + seconds + " s");
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(2).build());

        String polite = create(ctr("polite", busybox, "/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"));
        startC(polite);
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(polite).setTimeout(30).build());
        assertEquals(0, status(polite).getExitCode());
        remove(id);
        remove(polite);
        remove(id);
    }

    @Test
    void namesAttemptsListingAndCleanRemoval() throws Exception {
        String first = create(ctr("named", busybox, "/bin/sh", "-c", "sleep 60").putLabels("app", "x"));
        StatusRuntimeException dup = assertThrows(StatusRuntimeException.class, () -> create(ctr("named", busybox, "/bin/sh", "-c", "sleep 60")));
        assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode());
        String second = create(ctr("named", busybox, "/bin/sh", "-c", "sleep 60").setMetadata(ContainerMetadata.newBuilder()
                .setName("named").setAttempt(1)));
        assertNotEquals(first, second);
        startC(first);
        List<String> running = client.runtime().listContainers(ListContainersRequest.newBuilder().setFilter(
                ContainerFilter.newBuilder().setState(io.crio.api.v1.ContainerStateValue.newBuilder()
                        .setState(ContainerState.CONTAINER_RUNNING))).build()).getContainersList().stream()
                .map(c -> c.getId()).toList();
        assertTrue(running.contains(first) && !running.contains(second), running.toString());
        assertEquals(List.of(first), client.runtime().listContainers(ListContainersRequest.newBuilder().setFilter(
                ContainerFilter.newBuilder().putLabelSelector("app", "x").setPodSandboxId(podId)).build())
                .getContainersList().stream().map(c -> c.getId()).toList());

        JsonNode info = JSON.readTree(client.runtime().containerStatus(ContainerStatusRequest.newBuilder()
                .setContainerId(first).setVerbose(true).build()).getInfoOrThrow("info"));
        long pid = info.path("pid").asLong();
        assertTrue(pid > 0 && Files.exists(Path.of("/proc/" + pid)), info.toString());
        assertEquals("/bin/sh", info.at("/runtimeSpec/process/args/0").asText());

        client.runtime().updateContainerResources(UpdateContainerResourcesRequest.newBuilder().setContainerId(first)
                .setLinux(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64L * 1024 * 1024)).build());
        String cgroup = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream()
                .filter(l -> l.contains(":memory:")).findFirst().orElse("");
        if (!cgroup.isEmpty()) {
            String limit = Files.readString(Path.of("/sys/fs/cgroup/memory" + cgroup.substring(cgroup.lastIndexOf(':') + 1),
                    "memory.limit_in_bytes")).trim();
            assertEquals(Long.toString(64L * 1024 * 1024), limit);
        }

        remove(first);
        remove(second);
        for (int i = 0; i < 100 && Files.exists(Path.of("/proc/" + pid)); i++) {
            Thread.sleep(10);
        }
        assertFalse(Files.exists(Path.of("/proc/" + pid)) && !Files.readString(Path.of("/proc/" + pid + "/stat")).contains(") Z"),
                "the container's process is gone");
        assertFalse(Files.exists(dir.resolve("runroot/overlay-containers").resolve(first)));
        assertFalse(Files.readString(dir.resolve("root/overlay-containers/containers.json")).contains(first));
        assertTrue(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().noneMatch(l -> l.contains(first)));
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> status(first));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
    }

    @Test
    void execSyncReturnsOutputExitCodesAndTimesOut() throws Exception {
        String id = create(ctr("exec", busybox, "/bin/sh", "-c", "sleep 600"));
        startC(id);
        var ok = client.runtime().execSync(io.crio.api.v1.ExecSyncRequest.newBuilder().setContainerId(id)
                .addAllCmd(List.of("/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 7")).setTimeout(10).build());
        assertEquals(7, ok.getExitCode());
        assertEquals("to-out\n", ok.getStdout().toStringUtf8());
        assertEquals("to-err\n", ok.getStderr().toStringUtf8());
        long t0 = System.nanoTime();
        var slow = client.runtime().execSync(io.crio.api.v1.ExecSyncRequest.newBuilder().setContainerId(id)
                .addAllCmd(List.of("/bin/sh", "-c", "sleep 30")).setTimeout(1).build());
        assertNotEquals(0, slow.getExitCode(), "a timed-out exec is a non-zero exit, not an error");
        assertTrue((System.nanoTime() - t0) / 1e9 < 15);
        StatusRuntimeException empty = assertThrows(StatusRuntimeException.class, () -> client.runtime().execSync(
                io.crio.api.v1.ExecSyncRequest.newBuilder().setContainerId(id).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
        remove(id);
    }

    @Test
    void longExecsInMoreContainersThanCpusDoNotStallOtherCalls() throws Exception {
        // each ExecSync waits for conmon in a native call; more of them than CPUs must leave the daemon answering
        String id = create(ctr("probes", busybox, "/bin/sh", "-c", "sleep 600"));
        startC(id);
        int waits = Runtime.getRuntime().availableProcessors() + 1;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(waits);
        try {
            List<java.util.concurrent.Future<io.crio.api.v1.ExecSyncResponse>> execs = new java.util.ArrayList<>();
            for (int i = 0; i < waits; i++) {
                execs.add(pool.submit(() -> client.runtime().withDeadlineAfter(60, TimeUnit.SECONDS).execSync(
                        io.crio.api.v1.ExecSyncRequest.newBuilder().setContainerId(id)
                                .addAllCmd(List.of("/bin/sh", "-c", "sleep 5; echo done")).setTimeout(30).build())));
            }
            Thread.sleep(1500);
            ContainerStatus st = client.runtime().withDeadlineAfter(2, TimeUnit.SECONDS).containerStatus(
                    ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
            assertEquals(ContainerState.CONTAINER_RUNNING, st.getState());
            client.runtime().withDeadlineAfter(2, TimeUnit.SECONDS).version(io.crio.api.v1.VersionRequest.getDefaultInstance());
            assertTrue(execs.stream().noneMatch(java.util.concurrent.Future::isDone),
                    "the other calls were answered while every exec still ran");
            for (var exec : execs) {
                var r = exec.get(60, TimeUnit.SECONDS);
                assertEquals(0, r.getExitCode());
                assertEquals("done\n", r.getStdout().toStringUtf8());
            }
        } finally {
            pool.shutdownNow();
        }
        remove(id);
    }

    @Test
    void theLogIsReopenedAfterARotation() throws Exception {
        String id = create(ctr("rotate", busybox, "/bin/sh", "-c", "i=0; while :; do echo line-$i; i=$((i+1)); sleep 0.1; done"));
        startC(id);
        Path logFile = Path.of(status(id).getLogPath());
        for (int i = 0; i < 200 && (!Files.exists(logFile) || Files.size(logFile) == 0); i++) {
            Thread.sleep(10);
        }
        Path rotated = logFile.resolveSibling("0.log.1");
        Files.move(logFile, rotated);
        client.runtime().reopenContainerLog(io.crio.api.v1.ReopenContainerLogRequest.newBuilder().setContainerId(id).build());
        assertTrue(Files.exists(logFile), "conmon opened a new log file");
        for (int i = 0; i < 300 && Files.size(logFile) == 0; i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.readString(logFile).contains("stdout F line-"), Files.readString(logFile));
        remove(id);
    }

    @Test
    void aContainerOverItsMemoryLimitIsOomKilled() throws Exception {
        ContainerStatus st = runToExit(ctr("oom", busybox, "/bin/sh", "-c", "tail /dev/zero")
                .setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                        .setMemoryLimitInBytes(32L * 1024 * 1024))));
        assertEquals("OOMKilled", st.getReason(), st.toString());
        assertFalse(Files.exists(Path.of("oom")), "conmon runs in the bundle, not in the daemon's working directory");
        assertEquals(137, st.getExitCode());
        remove(st.getId());
    }

    @Test
    void theCrunHandlerRunsContainersWhereTheHostAllowsIt() throws Exception {
        PodSandboxConfig crunPod = pod("crun-pod");
        String pod = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(crunPod)
                .setRuntimeHandler("crun").build()).getPodSandboxId();
        try {
            String id;
            try {
                id = client.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(pod)
                        .setConfig(ctr("crun-echo", busybox, "/bin/sh", "-c", "echo from crun")).setSandboxConfig(crunPod)
                        .build()).getContainerId();
            } catch (StatusRuntimeException e) {
                // crun refuses cgroup v1/v2 hybrid hosts; say so rather than fail (see HOST-NOTES)
                org.junit.jupiter.api.Assumptions.assumeFalse(isHybridCgroupHost(),
                        "crun cannot run containers on this hybrid cgroup host: " + e.getStatus().getDescription());
                throw e;
            }
            startC(id);
            ContainerStatus st = status(id);
            for (int i = 0; i < 500 && st.getState() != ContainerState.CONTAINER_EXITED; i++) {
                Thread.sleep(10);
                st = status(id);
            }
            assertEquals(0, st.getExitCode());
            assertEquals(List.of("from crun"), messages(st));
            remove(id);
        } finally {
            client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
            client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        }
    }

    static boolean isHybridCgroupHost() throws Exception {
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        return mounts.stream().anyMatch(l -> l.contains(" - cgroup2 ")) && mounts.stream().anyMatch(l -> l.contains(" - cgroup "));
    }

    @Test
    void hostNetworkPodsRunContainersWithTheHostsHostname() throws Exception {
        PodSandboxConfig hostPod = pod("host-pod").toBuilder().setLinux(LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
                        .setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.POD)))).build();
        String pod = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(hostPod).build())
                .getPodSandboxId();
        try {
            String id = client.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(pod)
                    .setConfig(ctr("host-echo", busybox, "/bin/sh", "-c", "hostname; echo pid-1-is-$(cat /proc/1/cmdline | tr '\\0' ' ')"))
                    .setSandboxConfig(hostPod).build())
                    .getContainerId();
            startC(id);
            ContainerStatus st = status(id);
            for (int i = 0; i < 500 && st.getState() != ContainerState.CONTAINER_EXITED; i++) {
                Thread.sleep(10);
                st = status(id);
            }
            assertEquals(List.of(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(),
                    "pid-1-is-/bin/sh /pause"), messages(st), "the host's hostname; the pod's pause process as PID 1");
            remove(id);
        } finally {
            client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
            client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        }
    }

    @Test
    void aFailingRuntimeLeavesNothingBehind() throws Exception {
        PodSandboxConfig brokenPod = pod("broken-pod");
        String pod = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(brokenPod)
                .setRuntimeHandler("broken").build()).getPodSandboxId();
        String before = Files.readString(dir.resolve("root/overlay-containers/containers.json"));
        List<String> statesBefore = stateFiles();
        long mountsBefore = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains("/merged")).count();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.runtime()
                .createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(pod)
                        .setConfig(ctr("doomed", busybox, "true")).setSandboxConfig(brokenPod).build()));
        assertTrue(e.getStatus().getDescription().contains("failpoint"), e.getStatus().toString());
        assertEquals(before, Files.readString(dir.resolve("root/overlay-containers/containers.json")));
        assertEquals(statesBefore, stateFiles(), "the state file written during the create is gone");
        assertEquals(mountsBefore, Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains("/merged")).count());
        assertTrue(client.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList().stream()
                .noneMatch(c -> c.getMetadata().getName().equals("doomed")));
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    }

    private List<String> stateFiles() throws IOException {
        Path states = dir.resolve("root/crio/containers");
        if (!Files.isDirectory(states)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(states)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aRestartedDaemonReadoptsRunningContainers(@TempDir Path other) throws Exception {
        Files.writeString(other.resolve("crio.conf"), Files.readString(dir.resolve("crio.conf")).replace(dir.toString(),
                other.toString()).replace("[crio.network]", "[crio.network]\ncni_default_network = \"none\""));
        PodSandboxConfig hostPod = pod("restart-pod").toBuilder().setLogDirectory(other.resolve("logs").toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE)
                                .setPid(NamespaceMode.CONTAINER)))).build();
        String pod;
        String id;
        String lost;
        long pid;
        try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
            cl.images().withDeadlineAfter(120, TimeUnit.SECONDS).pullImage(PullImageRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(busybox)).build());
            pod = cl.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(hostPod).build()).getPodSandboxId();
            id = cl.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(pod)
                    .setConfig(ctr("survivor", busybox, "/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"))
                    .setSandboxConfig(hostPod).build()).getContainerId();
            cl.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
            lost = cl.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(pod)
                    .setConfig(ctr("stateless", busybox, "/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done")
                            .putLabels("tier", "web").putAnnotations("note", "kept"))
                    .setSandboxConfig(hostPod).build()).getContainerId();
            cl.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(lost).build());
            pid = JSON.readTree(cl.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id)
                    .setVerbose(true).build()).getInfoOrThrow("info")).path("pid").asLong();
            c.signal("TERM");
            assertEquals(0, c.awaitExit(START));
        }
        assertTrue(Files.exists(Path.of("/proc/" + pid)), "the container outlives the daemon (conmon keeps it)");
        // a lost state file: the container is recovered from its spec's annotations, as CRI-O recovers containers
        Files.delete(other.resolve("root/crio/containers").resolve(lost + ".json"));
        try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
            ContainerStatus recovered = cl.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(lost)
                    .build()).getStatus();
            assertEquals(ContainerState.CONTAINER_RUNNING, recovered.getState(), c.log());
            assertEquals("stateless", recovered.getMetadata().getName());
            assertEquals(Map.of("tier", "web"), recovered.getLabelsMap());
            assertEquals("kept", recovered.getAnnotationsMap().get("note"));
            assertEquals(busybox, recovered.getImage().getImage());
            assertTrue(recovered.getLogPath().endsWith("stateless/0.log"), recovered.getLogPath());
            StatusRuntimeException taken = assertThrows(StatusRuntimeException.class, () -> cl.runtime().createContainer(
                    CreateContainerRequest.newBuilder().setPodSandboxId(pod).setConfig(ctr("stateless", busybox, "true"))
                            .setSandboxConfig(hostPod).build()));
            assertEquals(Status.Code.ALREADY_EXISTS, taken.getStatus().getCode());
            cl.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(lost).setTimeout(10).build());
            assertEquals(0, cl.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(lost).build())
                    .getStatus().getExitCode());
            ContainerStatus st = cl.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build())
                    .getStatus();
            assertEquals(ContainerState.CONTAINER_RUNNING, st.getState());
            cl.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(10).build());
            st = cl.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
            assertEquals(ContainerState.CONTAINER_EXITED, st.getState());
            assertEquals(0, st.getExitCode());
            cl.removeAllPods();
            assertTrue(cl.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList().isEmpty());
        }
    }

    @Test
    void removingThePodRemovesItsContainers() throws Exception {
        PodSandboxConfig other = pod("doomed-pod");
        String pod = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(other).build())
                .getPodSandboxId();
        String id = client.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(pod)
                .setConfig(ctr("inside", busybox, "/bin/sh", "-c", "sleep 60")).setSandboxConfig(other).build()).getContainerId();
        startC(id);
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        assertEquals(ContainerState.CONTAINER_EXITED, status(id).getState());
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        assertThrows(StatusRuntimeException.class, () -> status(id));
    }
}
