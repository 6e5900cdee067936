package io.crio.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.ContainerMetadata;
import io.crio.api.v1.CreateContainerRequest;
import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.LinuxPodSandboxConfig;
import io.crio.api.v1.LinuxSandboxSecurityContext;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.NamespaceOption;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.PullImageRequest;
import io.crio.api.v1.RemoveContainerRequest;
import io.crio.api.v1.RunPodSandboxRequest;
import io.crio.api.v1.StartContainerRequest;
import io.crio.api.v1.StopContainerRequest;
import io.crio.conmon.ConmonLaunch;
import io.crio.conmon.ConmonLauncher;
import io.crio.e2e.CriClient;
import io.crio.e2e.CrioProcess;
import io.crio.e2e.registry.FixtureImages;
import io.crio.e2e.registry.RegistryPusher;
import io.crio.e2e.registry.RegistryServer;
import io.crio.oci.OciRuntimeCli;
import io.crio.sys.MountCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Container lifecycle cost (not a test): N create+start+stop+remove cycles in one pod over the CRI socket,
 * p50/p90 per RPC, side by side with the floor — conmon and runc driven directly by this program on an
 * equivalent bundle (the daemon's own spec for the pod, with a busybox root file system overlay-mounted for each
 * container, as the daemon's are; the floor's mount is made before its clock starts) — and the daemon's RSS
 * with N containers running.
 *
 * <p>{@code -Dbench.floorPlain=true} gives the floor a plain directory as root file system instead of an
 * overlay (runc creates a container on it a little faster). {@code -Dbench.pollCalls=N} makes the daemon serve N polling calls first,
 * the list and status calls kubelet makes every second or so (its relist, status and image checks), as a daemon
 * on a node that has been up for a while has; by default the daemon is measured as freshly started.
 *
 * <p>Usage: {@code ContainerBenchmark [cycles]} (default 50), with {@code -Dcrio.jar=…}; as root. See
 * {@code scripts/bench-container.sh}.
 */
public final class ContainerBenchmark {

    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        Path dir = Files.createTempDirectory("crio-bench-ctr");
        // what a node keeps under /run (a tmpfs there): run root, runtime state, exit files, sockets, namespaces
        Path run = volatileDir();
        ClientWarmup.run(Files.createTempDirectory("crio-bench-warmup"));
        try (RegistryServer registry = RegistryServer.start()) {
            String image = FixtureImages.singleLayer(RegistryPusher.of(registry), "bench/busybox", "1")
                    .reference(registry.url());
            Files.writeString(dir.resolve("crio.conf"), """
                    [crio]
                    log_dir = "%1$s/pod-logs"
                    [crio.runtime]
                    log_level = "%2$s"
                    namespaces_dir = "%3$s/ns"
                    container_exits_dir = "%3$s/exits"
                    container_attach_socket_dir = "%3$s/attach"
                    [crio.runtime.runtimes.runc]
                    runtime_root = "%3$s/runc-root"
                    """.formatted(dir, System.getProperty("bench.logLevel", "info"), run));
            try (CrioProcess crio = CrioProcess.start(dir, Map.of(), "--runroot", run.resolve("runroot").toString())
                    .awaitReady(Duration.ofSeconds(60));
                 CriClient client = new CriClient(crio.socket())) {
                client.images().withDeadlineAfter(120, TimeUnit.SECONDS).pullImage(PullImageRequest.newBuilder()
                        .setImage(ImageSpec.newBuilder().setImage(image)).build());
                PodSandboxConfig pod = PodSandboxConfig.newBuilder()
                        .setMetadata(PodSandboxMetadata.newBuilder().setName("bench").setNamespace("bench").setUid("bench"))
                        .setLogDirectory(dir.resolve("logs").toString())
                        .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                                .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE)
                                        .setPid(NamespaceMode.CONTAINER))))
                        .build();
                String podId = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build())
                        .getPodSandboxId();
                // the floor runs conmon + runc on the spec the daemon generated for this pod's containers
                String sample = client.runtime().createContainer(request(podId, pod, image, "sample")).getContainerId();
                byte[] sampleSpec = Files.readAllBytes(run.resolve("runroot/overlay-containers").resolve(sample)
                        .resolve("userdata/config.json"));
                client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(sample).build());
                FloorDriver floorDriver = new FloorDriver(dir, run, sampleSpec);
                int polls = Integer.getInteger("bench.pollCalls", 0);
                if (polls > 0) {
                    long p0 = System.nanoTime();
                    poll(client, podId, polls);
                    System.out.printf("daemon served %d polling calls first, in %.1f s%n", polls,
                            (System.nanoTime() - p0) / 1e9);
                }
                List<Double> create = new ArrayList<>();
                List<Double> start = new ArrayList<>();
                List<Double> stop = new ArrayList<>();
                List<Double> remove = new ArrayList<>();
                Floor floor = new Floor(new ArrayList<>(), new ArrayList<>());
                // daemon and floor cycles alternate, so that both see the same state of a noisy host
                int warmup = Integer.getInteger("bench.warmupCycles", 3);
                long[] cpuBefore = null;
                java.util.Map<String, Long> threadsBefore = java.util.Map.of();
                for (int i = -warmup; i < cycles; i++) {
                    boolean counted = i >= 0;
                    if (i == 0) {
                        cpuBefore = ProcStat.cpuTicks(ProcStat.of(crio.pid()));
                        threadsBefore = ProcStat.ticksByThread(crio.pid());
                    }
                    cycle(client, podId, pod, image, "c" + i, counted ? create : new ArrayList<>(),
                            counted ? start : new ArrayList<>(), counted ? stop : new ArrayList<>(),
                            counted ? remove : new ArrayList<>());
                    floorDriver.cycle(counted ? floor : new Floor(new ArrayList<>(), new ArrayList<>()));
                }
                long[] cpuAfter = ProcStat.cpuTicks(ProcStat.of(crio.pid()));
                java.util.Map<String, Long> threadsAfter = ProcStat.ticksByThread(crio.pid());
                List<Double> version = new ArrayList<>();
                for (int i = 0; i < cycles; i++) {
                    long a = System.nanoTime();
                    client.runtime().version(io.crio.api.v1.VersionRequest.getDefaultInstance());
                    version.add((System.nanoTime() - a) / 1e6);
                }
                List<Double> versionIdle = new ArrayList<>();
                for (int i = 0; i < cycles; i++) {
                    Thread.sleep(30);
                    long a = System.nanoTime();
                    client.runtime().version(io.crio.api.v1.VersionRequest.getDefaultInstance());
                    versionIdle.add((System.nanoTime() - a) / 1e6);
                }
                List<Double> createStart = sum(create, start);
                System.out.printf("container lifecycle, %d cycles in one pod (busybox, sh -c 'sleep 600')%n", cycles);
                line("CreateContainer", create);
                line("StartContainer", start);
                line("StopContainer (timeout 0)", stop);
                line("RemoveContainer", remove);
                line("create+start", createStart);
                line("Version (round trip)", version);
                line("Version after 30 ms idle", versionIdle);
                System.out.println("floor root file system: " + (Boolean.getBoolean("bench.floorPlain")
                        ? "a plain directory" : "an overlay mounted for each container (before its clock starts)"));
                line("floor create (conmon+runc)", floor.create);
                line("floor start (runc start)", floor.start);
                line("floor create+start", sum(floor.create, floor.start));
                System.out.printf("create+start p50 minus floor p50: %.2f ms (target <= 10 ms)%n",
                        pct(createStart, 50) - pct(sum(floor.create, floor.start), 50));
                List<Double> paired = new ArrayList<>();
                List<Double> floorSums = sum(floor.create, floor.start);
                for (int i = 0; i < Math.min(createStart.size(), floorSums.size()); i++) {
                    paired.add(createStart.get(i) - floorSums.get(i));
                }
                line("create+start minus floor (paired)", paired);
                System.out.printf("daemon CPU per cycle (create+start+stop+remove): %.1f ms user, %.1f ms system%n",
                        (cpuAfter[0] - cpuBefore[0]) * 10.0 / cycles, (cpuAfter[1] - cpuBefore[1]) * 10.0 / cycles);
                StringBuilder byThread = new StringBuilder();
                for (var e : threadsAfter.entrySet()) {
                    long d = e.getValue() - threadsBefore.getOrDefault(e.getKey(), 0L);
                    if (d > 0) {
                        byThread.append(byThread.isEmpty() ? "" : ", ").append(e.getKey())
                                .append(String.format(" %.1f", d * 10.0 / cycles));
                    }
                }
                System.out.println("daemon CPU per cycle by thread (ms): " + byThread);
                System.out.println("daemon split of CreateContainer, p50: " + split(crio.log(), "Created container"));
                System.out.println("daemon split of StartContainer, p50: " + split(crio.log(), "Started container"));
                System.out.printf("outside the daemon's handler (call minus its logged total, per call), p50:"
                        + " CreateContainer %.2f ms, StartContainer %.2f ms%n",
                        pct(outside(create, crio.log(), "Created container"), 50),
                        pct(outside(start, crio.log(), "Started container"), 50));

                long before = rss(crio.pid());
                List<String> running = new ArrayList<>();
                for (int i = 0; i < cycles; i++) {
                    String id = client.runtime().createContainer(request(podId, pod, image, "run-" + i)).getContainerId();
                    client.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
                    running.add(id);
                }
                Thread.sleep(3000);
                long after = rss(crio.pid());
                System.out.printf("daemon RSS: %.1f MiB before, %.1f MiB with %d running containers%n",
                        before / 1024.0, after / 1024.0, cycles);
                try {
                    List<Double> exec = new ArrayList<>();
                    for (int i = -3; i < 30 && !running.isEmpty(); i++) {
                        long a = System.nanoTime();
                        var r = client.runtime().execSync(io.crio.api.v1.ExecSyncRequest.newBuilder()
                                .setContainerId(running.get(0)).addAllCmd(List.of("/bin/sh", "-c", "exit 0"))
                                .setTimeout(10).build());
                        if (r.getExitCode() != 0) {
                            throw new IllegalStateException("exec exited with " + r.getExitCode() + ": "
                                    + r.getStderr().toStringUtf8());
                        }
                        if (i >= 0) {
                            exec.add((System.nanoTime() - a) / 1e6);
                        }
                    }
                    line("ExecSync (sh -c 'exit 0')", exec);
                } finally {
                    for (String id : running) {
                        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
                    }
                }
                client.runtime().stopPodSandbox(io.crio.api.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                client.runtime().removePodSandbox(io.crio.api.v1.RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            }
        } finally {
            if (Boolean.getBoolean("bench.keep")) {
                System.out.println("kept for inspection: " + dir + " (daemon log crio-*.log) and " + run);
            } else {
                removeUnmounted(run);
                removeUnmounted(dir);
            }
        }
    }

    /** Removes a directory of the benchmark (refused, and said, while something is mounted beneath it). */
    static void removeUnmounted(Path dir) {
        try {
            io.crio.daemon.sandbox.SandboxFiles.deleteTree(dir);
        } catch (java.io.IOException e) {
            System.err.println("could not remove " + dir + ": " + e.getMessage());
        }
    }

    /** A directory on a tmpfs (/dev/shm), as /run is on a node; inside the bench directory when there is none. */
    static Path volatileDir() throws java.io.IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && "tmpfs".equals(Files.getFileStore(shm).type())) {
            return Files.createTempDirectory(shm, "crio-bench-run");
        }
        return Files.createTempDirectory("crio-bench-run");
    }

    /** {@code calls} of kubelet's periodic calls: relist (pods, containers), pod status, runtime status, image list. */
    static void poll(CriClient client, String podId, int calls) {
        for (int i = 0; i < calls; i++) {
            switch (i % 5) {
                case 0 -> client.runtime().listPodSandbox(io.crio.api.v1.ListPodSandboxRequest.getDefaultInstance());
                case 1 -> client.runtime().listContainers(io.crio.api.v1.ListContainersRequest.getDefaultInstance());
                case 2 -> client.runtime().podSandboxStatus(io.crio.api.v1.PodSandboxStatusRequest.newBuilder()
                        .setPodSandboxId(podId).build());
                case 3 -> client.runtime().status(io.crio.api.v1.StatusRequest.getDefaultInstance());
                default -> client.images().listImages(io.crio.api.v1.ListImagesRequest.getDefaultInstance());
            }
        }
    }

    static CreateContainerRequest request(String podId, PodSandboxConfig pod, String image, String name) {
        return CreateContainerRequest.newBuilder().setPodSandboxId(podId).setSandboxConfig(pod)
                .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName(name))
                        .setImage(ImageSpec.newBuilder().setImage(image))
                        .addAllCommand(List.of("/bin/sh", "-c", "sleep 600")).setLogPath(name + ".log"))
                .build();
    }

    static void cycle(CriClient client, String podId, PodSandboxConfig pod, String image, String name,
                      List<Double> create, List<Double> start, List<Double> stop, List<Double> remove) {
        CreateContainerRequest createRequest = request(podId, pod, image, name);
        long a = System.nanoTime();
        String id = client.runtime().createContainer(createRequest).getContainerId();
        long b = System.nanoTime();
        client.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        long c = System.nanoTime();
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
        long d = System.nanoTime();
        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        long e = System.nanoTime();
        create.add((b - a) / 1e6);
        start.add((c - b) / 1e6);
        stop.add((d - c) / 1e6);
        remove.add((e - d) / 1e6);
    }

    /** One call the daemon logged as {@code "<what> <id>: <name> in <total> ms: <steps>"}. */
    record LoggedCall(String name, double total, String steps) {}

    /** The calls the daemon logged with {@code what} ("Created container", "Started container"), in order. */
    static List<LoggedCall> logged(String log, String what) {
        java.util.regex.Pattern line = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(what)
                + " \\S+: (\\S+) in ([0-9.]+) ms: (.*)$");
        List<LoggedCall> calls = new ArrayList<>();
        log.lines().forEach(l -> {
            java.util.regex.Matcher m = line.matcher(l);
            if (m.find()) {
                calls.add(new LoggedCall(m.group(1), Double.parseDouble(m.group(2)), m.group(3)));
            }
        });
        return calls;
    }

    /**
     * The p50 of each step the daemon logged for an operation ({@code "<what> <id>: <name> in <t> ms: <step> <t>
     * ms, ...; overlapped: <step> <t> ms, ..."}), in the order logged.
     */
    static String split(String log, String what) {
        java.util.regex.Pattern step = java.util.regex.Pattern.compile("(?:(overlapped): )?([a-z+ ]+?) ([0-9.]+) ms");
        java.util.Map<String, List<Double>> steps = new java.util.LinkedHashMap<>();
        for (LoggedCall call : logged(log, what)) {
            steps.computeIfAbsent("total", k -> new ArrayList<>()).add(call.total());
            String prefix = "";
            java.util.regex.Matcher sm = step.matcher(call.steps());
            while (sm.find()) {
                if (sm.group(1) != null) {
                    prefix = "overlapped ";
                }
                steps.computeIfAbsent(prefix + sm.group(2).trim(), k -> new ArrayList<>()).add(Double.parseDouble(sm.group(3)));
            }
        }
        StringBuilder out = new StringBuilder();
        steps.forEach((k, v) -> out.append(out.isEmpty() ? "" : ", ").append(k).append(String.format(" %.2f ms", pct(v, 50))));
        return out.toString();
    }

    /**
     * For each counted cycle's call (container {@code c<i>}), its time at the client minus the total the daemon
     * logged for it: transport, gRPC and what runs outside the handler.
     */
    static List<Double> outside(List<Double> calls, String log, String what) {
        Map<String, Double> handled = new java.util.HashMap<>();
        logged(log, what).forEach(c -> handled.put(c.name(), c.total()));
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            Double total = handled.get("k8s_c" + i + "_bench_bench_bench_0");
            if (total != null) {
                out.add(calls.get(i) - total);
            }
        }
        return out;
    }

    record Floor(List<Double> create, List<Double> start) {}

    /**
     * conmon + runc on bundles this program prepares from the daemon's own spec (same mounts, namespaces,
     * resources and security settings; its own root file system and cgroup), driven as the daemon drives them.
     */
    static final class FloorDriver {
        private final Path dir;
        private final Path run;
        private final byte[] daemonSpec;
        private final OciRuntimeCli runc;
        private final Path root;
        private int next;

        /** Bundles and runtime state go under {@code run}, the root file system, logs and exit codes under {@code dir}. */
        FloorDriver(Path dir, Path run, byte[] daemonSpec) throws Exception {
            this.dir = dir;
            this.run = run;
            this.daemonSpec = daemonSpec;
            Path rootfs = Files.createDirectories(dir.resolve("floor/rootfs/bin"));
            Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
            Files.createSymbolicLink(rootfs.resolve("sh"), Path.of("busybox"));
            for (String d : List.of("proc", "sys", "dev", "tmp", "etc")) {
                Files.createDirectories(dir.resolve("floor/rootfs").resolve(d));
            }
            root = run.resolve("floor/runc-root");
            runc = new OciRuntimeCli("/usr/sbin/runc", root.toString(), false);
        }

        void cycle(Floor into) throws Exception {
            String id = "floor-" + next++;
            Path bundle = Files.createDirectories(run.resolve("floor").resolve(id));
            Path persist = Files.createDirectories(dir.resolve("floor/persist").resolve(id));
            ObjectNode spec = (ObjectNode) JSON.readTree(daemonSpec);
            Path lower = dir.resolve("floor/rootfs");
            Path layer = dir.resolve("floor/layers").resolve(id);
            Path rootfs = lower;
            if (!Boolean.getBoolean("bench.floorPlain")) {
                rootfs = Files.createDirectories(layer.resolve("merged"));
                Files.createDirectories(layer.resolve("diff"));
                Files.createDirectories(layer.resolve("work"));
                MountCalls.mount("overlay", rootfs.toString(), "overlay", 0, "lowerdir=" + lower + ",upperdir="
                        + layer.resolve("diff") + ",workdir=" + layer.resolve("work"));
            }
            ((ObjectNode) spec.get("root")).put("path", rootfs.toString());
            ((ObjectNode) spec.get("linux")).put("cgroupsPath", "/crio-bench-floor/" + id);
            JSON.writeValue(bundle.resolve("config.json").toFile(), spec);
            ConmonLaunch launch = ConmonLaunch.builder().conmonPath("/usr/bin/conmon").runtimePath("/usr/sbin/runc")
                    .runtimeRoot(root.toString()).containerId(id).containerName(id).bundleDir(bundle.toString())
                    .containerPidFile(bundle.resolve("pidfile").toString())
                    .conmonPidFile(bundle.resolve("conmon-pidfile").toString())
                    .logPath(Files.createDirectories(dir.resolve("floor/logs")).resolve(id + ".log").toString())
                    .exitDir(Files.createDirectories(run.resolve("floor/exits")).toString())
                    .socketDir(Files.createDirectories(run.resolve("floor/attach")).toString())
                    .persistDir(persist.toString()).syslog(true).build(); // conmon as the daemon runs it
            long a = System.nanoTime();
            ConmonLauncher.create(launch, Duration.ofSeconds(60), pid -> { });
            long b = System.nanoTime();
            runc.start(id);
            long c = System.nanoTime();
            runc.delete(id, true);
            if (!rootfs.equals(lower)) {
                MountCalls.umount2IfMounted(rootfs.toString(), MountCalls.MNT_DETACH);
                io.crio.daemon.sandbox.SandboxFiles.deleteTree(layer);
            }
            into.create.add((b - a) / 1e6);
            into.start.add((c - b) / 1e6);
        }
    }

    static long rss(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static List<Double> sum(List<Double> a, List<Double> b) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            out.add(a.get(i) + b.get(i));
        }
        return out;
    }

    static void line(String name, List<Double> v) {
        System.out.printf("%-28s p50 %7.2f ms  p90 %7.2f ms  max %7.2f ms%n", name, pct(v, 50), pct(v, 90), pct(v, 100));
    }

    static double pct(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }
}
