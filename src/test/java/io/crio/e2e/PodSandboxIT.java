package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.api.v1.DNSConfig;
import io.crio.api.v1.LinuxPodSandboxConfig;
import io.crio.api.v1.LinuxSandboxSecurityContext;
import io.crio.api.v1.ListPodSandboxRequest;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.NamespaceOption;
import io.crio.api.v1.PodSandbox;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxFilter;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.PodSandboxState;
import io.crio.api.v1.PodSandboxStateValue;
import io.crio.api.v1.PodSandboxStatus;
import io.crio.api.v1.PodSandboxStatusRequest;
import io.crio.api.v1.PortMapping;
import io.crio.api.v1.Protocol;
import io.crio.api.v1.RemovePodSandboxRequest;
import io.crio.api.v1.RunPodSandboxRequest;
import io.crio.api.v1.RuntimeCondition;
import io.crio.api.v1.StatusRequest;
import io.crio.api.v1.StopPodSandboxRequest;
import io.crio.sys.NamespacePinner;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pod sandbox life cycle on the real daemon with the real bridge, host-local and portmap plugins,
 * looked at from the host: what each step creates (namespaces, run directory, shm, cgroups, veth, lease,
 * CNI cache, iptables rules, state file), what the status reports, and that stop, remove, rejected
 * requests, a failing plugin and a restart leave nothing behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PodSandboxIT {

    static final Duration START = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path CNI_CACHE = Path.of("/var/lib/cni/results");
    static final List<String> NS_KINDS = List.of("netns", "ipcns", "utsns");

    @TempDir
    static Path dir;
    CniFixtures net;
    CrioProcess crio;
    CriClient client;

    @BeforeAll
    void start() throws Exception {
        net = CniFixtures.random("e2e-pod-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 16)), dir);
        writeConfig(dir, net.conflist(CniFixtures.PORTMAP));
        crio = CrioProcess.start(dir, Map.of()).awaitReady(START);
        client = new CriClient(crio.socket());
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (client != null) {
                client.removeAllPods();
                client.close();
            }
        } finally {
            if (crio != null) {
                crio.close();
            }
            net.deleteBridge();
        }
    }

    // ---------------------------------------------------------------- helpers

    static void writeConfig(Path d, String conflist) throws Exception {
        Files.createDirectories(d.resolve("net.d"));
        Files.createDirectories(d.resolve("plugins"));
        Files.writeString(d.resolve("net.d/10-e2e.conflist"), conflist);
        Files.writeString(d.resolve("crio.conf"), """
                [crio.runtime]
                namespaces_dir = "%1$s/ns"
                [crio.network]
                network_dir = "%1$s/net.d"
                plugin_dirs = ["/usr/lib/cni", "%1$s/plugins"]
                """.formatted(d));
    }

    static NamespaceOption.Builder podPid() {
        return NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER);
    }

    static PodSandboxConfig.Builder pod(String name) {
        return pod(name, podPid());
    }

    static PodSandboxConfig.Builder pod(String name, NamespaceOption.Builder ns) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("e2e-ns").setUid("uid-" + name))
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(ns)));
    }

    static String run(CriClient c, PodSandboxConfig config) {
        return c.runtime().withDeadlineAfter(60, TimeUnit.SECONDS)
                .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
    }

    static PodSandboxStatus status(CriClient c, String id) {
        return c.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus();
    }

    static JsonNode verboseInfo(CriClient c, String id) throws Exception {
        return JSON.readTree(c.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id)
                .setVerbose(true).build()).getInfoOrThrow("info"));
    }

    static void stopPod(CriClient c, String id) {
        c.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    static void removePod(CriClient c, String id) {
        c.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    static List<String> listIds(CriClient c, PodSandboxFilter filter) {
        return c.runtime().listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(filter).build())
                .getItemsList().stream().map(PodSandbox::getId).toList();
    }

    static Path nsFile(Path d, String kind, String id) {
        return d.resolve("ns").resolve(kind).resolve(id);
    }

    static Path runDir(Path d, String id) {
        return d.resolve("runroot/overlay-containers").resolve(id);
    }

    static Path userdata(Path d, String id) {
        return runDir(d, id).resolve("userdata");
    }

    static Path stateFile(Path d, String id) {
        return d.resolve("root/crio/sandboxes").resolve(id + ".json");
    }

    static Path cacheFile(CniFixtures n, String id) {
        return CNI_CACHE.resolve(n.network() + "-" + id + "-eth0");
    }

    static List<String> files(Path d) throws Exception {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** CNI cache entries of network {@code n}. */
    static List<String> cacheEntries(CniFixtures n) throws Exception {
        return files(CNI_CACHE).stream().filter(f -> f.startsWith(n.network() + "-")).toList();
    }

    static List<String> mountsUnder(Path d) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].startsWith(d.toString())).toList();
    }

    static List<String> shmMounts(Path d, String id) throws Exception {
        return mountsUnder(d).stream().filter(l -> l.split(" ")[4].equals(userdata(d, id).resolve("shm").toString())).toList();
    }

    /** Mount points of every cgroup hierarchy on this host (v1 controllers, named hierarchies and v2). */
    static List<Path> cgroupHierarchies() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(" - cgroup ") || l.contains(" - cgroup2 "))
                .map(l -> Path.of(l.split(" ")[4])).toList();
    }

    static String iptables() throws Exception {
        return CniFixtures.run("iptables-save") + CniFixtures.run("iptables-save", "-t", "nat");
    }

    record Exec(int code, String out) {}

    static Exec exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd));
        }
        return new Exec(p.exitValue(), out);
    }

    static boolean linkExists(String name) throws Exception {
        return exec("ip", "link", "show", "dev", name).code() == 0;
    }

    /** The host end of the pod's veth pair, from the CNI result cached for the pod. */
    static String hostVeth(CniFixtures n, String id) throws Exception {
        JsonNode cache = JSON.readTree(cacheFile(n, id).toFile());
        for (JsonNode itf : cache.at("/result/interfaces")) {
            if (!itf.has("sandbox") && !itf.path("name").asText().equals(n.bridge())) {
                return itf.path("name").asText();
            }
        }
        throw new AssertionError("no host veth in the cached result: " + cache);
    }

    static void await(String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    static ServerSocket listenIn(Path netns, int port) throws Exception {
        return NamespacePinner.runInNamespace(netns, NamespacePinner.NamespaceKind.NET,
                () -> new ServerSocket(port, 50, InetAddress.getByName("0.0.0.0")));
    }

    /** Accepts one connection, answers with {@code reply} and completes with the peer's address. */
    static CompletableFuture<String> answerOnce(ServerSocket server, String reply) {
        CompletableFuture<String> peer = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                peer.complete(((InetSocketAddress) s.getRemoteSocketAddress()).getAddress().getHostAddress());
                out.write(reply.getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                peer.completeExceptionally(e);
            }
        });
        return peer;
    }

    static String exchange(Socket s) throws Exception {
        s.setSoTimeout(10_000);
        try (InputStream in = s.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String connectAndRead(String host, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            return exchange(s);
        }
    }

    /** What exists on the host for pods of a daemon directory: a snapshot to compare before and after. */
    record HostState(Map<String, List<String>> ns, List<String> runDirs, List<String> states, List<String> mounts,
                     List<String> leases, List<String> cache, List<String> bridgePorts) {}

    /** Names of the interfaces attached to the bridge (none when it does not exist yet). */
    static List<String> bridgePorts(CniFixtures n) throws Exception {
        Exec e = exec("ip", "-o", "link", "show", "master", n.bridge());
        if (e.code() != 0) {
            return List.of();
        }
        return e.out().lines().map(l -> l.split(":\\s+")[1].split("@")[0]).sorted().toList();
    }

    static HostState hostState(Path d, CniFixtures n) throws Exception {
        Map<String, List<String>> ns = new LinkedHashMap<>();
        for (String kind : NS_KINDS) {
            ns.put(kind, files(d.resolve("ns").resolve(kind)));
        }
        return new HostState(ns, files(d.resolve("runroot/overlay-containers")), files(d.resolve("root/crio/sandboxes")),
                mountsUnder(d), n.leases(), cacheEntries(n), bridgePorts(n));
    }

    /** Nothing of pod {@code id} is left on the host. */
    static void assertGone(Path d, CniFixtures n, String id) throws Exception {
        for (String kind : NS_KINDS) {
            assertFalse(Files.exists(nsFile(d, kind, id)), kind + " of " + id + " remains");
        }
        assertEquals(List.of(), mountsUnder(d).stream().filter(l -> l.contains(id)).toList(), "mounts of " + id);
        assertFalse(Files.exists(runDir(d, id)), "run directory of " + id + " remains");
        assertFalse(Files.exists(stateFile(d, id)), "state file of " + id + " remains");
        assertFalse(Files.exists(cacheFile(n, id)), "CNI cache of " + id + " remains");
        assertFalse(iptables().contains(id), "iptables rules of " + id + " remain");
    }

    // ---------------------------------------------------------------- tests

    @Test
    void aPodIsReachableOnItsAddressAndStatusReportsWhatItWasGiven() throws Exception {
        String parent = "/crio-e2e-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
        Map<String, String> labels = Map.of("app", "reach", "io.kubernetes.pod.name", "reach");
        Map<String, String> annotations = Map.of("note", "kept as given", "empty", "");
        PodSandboxConfig config = pod("reach").putAllLabels(labels).putAllAnnotations(annotations)
                .setLinux(LinuxPodSandboxConfig.newBuilder().setCgroupParent(parent)
                        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(podPid())))
                .build();
        List<Path> hierarchies = cgroupHierarchies();
        assertFalse(hierarchies.isEmpty(), "no cgroup hierarchy mounted");
        long before = Instant.now().getEpochSecond() * 1_000_000_000L;
        String id = run(client, config);
        long after = (Instant.now().getEpochSecond() + 1) * 1_000_000_000L;
        try {
            assertTrue(id.matches("[0-9a-f]{64}"), id);

            // namespaces, run directory, state, cgroups
            for (String kind : NS_KINDS) {
                assertTrue(Files.exists(nsFile(dir, kind, id)), kind + " pinned");
            }
            assertEquals(id.substring(0, 12) + "\n", Files.readString(userdata(dir, id).resolve("hostname")));
            assertEquals(id.substring(0, 12),
                    exec("nsenter", "--uts=" + nsFile(dir, "utsns", id), "hostname").out().strip());
            assertEquals(Files.readString(Path.of("/etc/resolv.conf")),
                    Files.readString(userdata(dir, id).resolve("resolv.conf")), "the host's resolv.conf without DNS config");
            String shm = mountsUnder(dir).stream().filter(l -> l.split(" ")[4].equals(userdata(dir, id).resolve("shm").toString()))
                    .findFirst().orElseThrow(() -> new AssertionError("shm not mounted"));
            assertTrue(shm.contains(" - tmpfs ") && shm.contains("size=65536k"), "64 MiB tmpfs: " + shm);
            assertTrue(Files.exists(stateFile(dir, id)), "state file");
            for (Path h : hierarchies) {
                assertTrue(Files.isDirectory(h.resolve(parent.substring(1)).resolve("crio-" + id)),
                        "pod cgroup in " + h);
            }

            // network: an address in the subnet, a lease, a cached result, a veth on the bridge
            PodSandboxStatus st = status(client, id);
            String ip = st.getNetwork().getIp();
            assertTrue(ip.matches(net.subnetPrefix().replace(".", "\\.") + "\\.\\d+"), "pod IP " + ip + " in "
                    + net.subnetPrefix() + ".0/24");
            assertNotEquals(net.gateway(), ip);
            assertTrue(net.leases().contains(ip), "lease for " + ip + ": " + net.leases());
            assertTrue(Files.exists(cacheFile(net, id)), "CNI result cached");
            String veth = hostVeth(net, id);
            assertTrue(net.bridgePorts().contains(veth + "@"), veth + " on " + net.bridge() + ": " + net.bridgePorts());

            // a listener in the pod's network namespace answers the host
            try (ServerSocket server = listenIn(nsFile(dir, "netns", id), 8080)) {
                CompletableFuture<String> peer = answerOnce(server, "pong " + id);
                assertEquals("pong " + id, connectAndRead(ip, 8080));
                assertEquals(net.gateway(), peer.get(10, TimeUnit.SECONDS), "the host connects from the gateway");
            }

            // status
            assertEquals(id, st.getId());
            assertEquals(PodSandboxState.SANDBOX_READY, st.getState());
            assertEquals(config.getMetadata(), st.getMetadata());
            assertEquals(labels, st.getLabelsMap());
            assertEquals(annotations, st.getAnnotationsMap());
            assertTrue(st.getCreatedAt() >= before && st.getCreatedAt() <= after, "created_at in ns: " + st.getCreatedAt());
            assertEquals("runc", st.getRuntimeHandler());
            NamespaceOption options = st.getLinux().getNamespaces().getOptions();
            assertEquals(NamespaceMode.POD, options.getNetwork());
            assertEquals(NamespaceMode.POD, options.getIpc());
            assertEquals(NamespaceMode.CONTAINER, options.getPid());
            assertEquals(id, status(client, id.substring(0, 16)).getId(), "status by a unique prefix");

            JsonNode spec = verboseInfo(client, id).path("runtimeSpec");
            assertEquals(id.substring(0, 12), spec.path("hostname").asText());
            assertEquals(id, spec.at("/annotations/io.kubernetes.cri-o.SandboxID").asText());
            assertEquals("false", spec.at("/annotations/io.kubernetes.cri-o.HostNetwork").asText());
            assertEquals("kept as given", spec.at("/annotations/note").asText());
            Map<String, String> nsPaths = new LinkedHashMap<>();
            spec.at("/linux/namespaces").forEach(n -> nsPaths.put(n.path("type").asText(), n.path("path").asText()));
            assertEquals(nsFile(dir, "netns", id).toString(), nsPaths.get("network"), spec.toString());
            assertEquals(nsFile(dir, "ipcns", id).toString(), nsPaths.get("ipc"), spec.toString());
            assertEquals(nsFile(dir, "utsns", id).toString(), nsPaths.get("uts"), spec.toString());

            // stop: the network, the namespaces and shm go; the pod stays known until removed
            stopPod(client, id);
            assertEquals(PodSandboxState.SANDBOX_NOTREADY, status(client, id).getState());
            assertFalse(linkExists(veth), "veth " + veth + " remains after stop");
            assertFalse(net.leases().contains(ip), "lease " + ip + " remains after stop");
            assertFalse(Files.exists(cacheFile(net, id)), "CNI cache remains after stop");
            for (String kind : NS_KINDS) {
                assertFalse(Files.exists(nsFile(dir, kind, id)), kind + " remains after stop");
            }
            assertEquals(List.of(), mountsUnder(dir).stream().filter(l -> l.contains(id)).toList(), "mounts after stop");
            assertTrue(Files.exists(stateFile(dir, id)), "state is kept until remove");
            assertEquals(List.of(id), listIds(client, PodSandboxFilter.newBuilder().setId(id).build()));
            stopPod(client, id);
            assertEquals(PodSandboxState.SANDBOX_NOTREADY, status(client, id).getState());

            // remove: the run directory, the cgroups and the state go
            removePod(client, id);
            for (Path h : hierarchies) {
                assertFalse(Files.exists(h.resolve(parent.substring(1)).resolve("crio-" + id)), "pod cgroup in " + h);
            }
            assertGone(dir, net, id);
            removePod(client, id);
            stopPod(client, id);
            StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> status(client, id));
            assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
            assertEquals(List.of(), listIds(client, PodSandboxFilter.newBuilder().setId(id).build()));
        } finally {
            for (Path h : hierarchies) {
                Files.deleteIfExists(h.resolve(parent.substring(1)).resolve("crio-" + id));
                Files.deleteIfExists(h.resolve(parent.substring(1)));
            }
        }
    }

    @Test
    void twoPodsGetDifferentAddressesAndReachEachOtherDirectly() throws Exception {
        String a = run(client, pod("peer-a").build());
        String b = run(client, pod("peer-b").build());
        String ipA = status(client, a).getNetwork().getIp();
        String ipB = status(client, b).getNetwork().getIp();
        assertNotEquals(ipA, ipB);
        assertTrue(net.leases().containsAll(List.of(ipA, ipB)), net.leases().toString());
        assertNotEquals(hostVeth(net, a), hostVeth(net, b));

        try (ServerSocket server = listenIn(nsFile(dir, "netns", b), 7070)) {
            CompletableFuture<String> peer = answerOnce(server, "b answers");
            try (Socket s = NamespacePinner.runInNamespace(nsFile(dir, "netns", a), NamespacePinner.NamespaceKind.NET, () -> {
                Socket c = new Socket();
                c.connect(new InetSocketAddress(ipB, 7070), 10_000);
                return c;
            })) {
                assertEquals("b answers", exchange(s));
            }
            assertEquals(ipA, peer.get(10, TimeUnit.SECONDS), "b sees a's own address (no masquerading on the bridge)");
        }

        stopPod(client, a);
        stopPod(client, b);
        removePod(client, a);
        removePod(client, b);
        assertGone(dir, net, a);
        assertGone(dir, net, b);
        assertFalse(net.leases().contains(ipA) || net.leases().contains(ipB), net.leases().toString());
    }

    @Test
    void everyPodHasItsOwnLoopbackUp() throws Exception {
        String a = run(client, pod("lo-a").build());
        String b = run(client, pod("lo-b").build());
        try {
            Path nsA = nsFile(dir, "netns", a);
            Path nsB = nsFile(dir, "netns", b);
            String lo = exec("nsenter", "--net=" + nsA, "ip", "-o", "addr", "show", "dev", "lo").out();
            assertTrue(lo.contains("inet 127.0.0.1/8"), "lo of a pod has 127.0.0.1 (loopback plugin): " + lo
                    + exec("nsenter", "--net=" + nsA, "ip", "-o", "link", "show", "dev", "lo").out());
            try (ServerSocket local = NamespacePinner.runInNamespace(nsA, NamespacePinner.NamespaceKind.NET,
                    () -> new ServerSocket(7071, 50, InetAddress.getLoopbackAddress()))) {
                CompletableFuture<String> peer = answerOnce(local, "local");
                try (Socket s = NamespacePinner.runInNamespace(nsA, NamespacePinner.NamespaceKind.NET, () -> {
                    Socket c = new Socket();
                    c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 7071), 5_000);
                    return c;
                })) {
                    assertEquals("local", exchange(s));
                }
                peer.get(10, TimeUnit.SECONDS);
                // pod b's loopback is its own: a's listener is not there
                Exception refused = assertThrows(Exception.class, () -> NamespacePinner.runInNamespace(nsB,
                        NamespacePinner.NamespaceKind.NET, () -> {
                            try (Socket c = new Socket()) {
                                c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 7071), 2_000);
                            }
                            return null;
                        }));
                assertTrue(String.valueOf(refused.getMessage()).contains("refused")
                        || String.valueOf(refused.getCause()).contains("refused"), refused.toString());
            }
        } finally {
            for (String p : List.of(a, b)) {
                stopPod(client, p);
                removePod(client, p);
            }
        }
        assertGone(dir, net, a);
        assertGone(dir, net, b);
    }

    @Test
    void hostNetworkAndHostIpcPodsPinNoNamespacesAndMountNoShm() throws Exception {
        List<String> leases = net.leases();
        List<String> cache = cacheEntries(net);
        String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        String id = run(client, pod("host-all", podPid().setNetwork(NamespaceMode.NODE).setIpc(NamespaceMode.NODE)).build());
        try {
            for (String kind : NS_KINDS) {
                assertFalse(Files.exists(nsFile(dir, kind, id)), kind + " pinned for a host pod");
            }
            assertEquals(hostname + "\n", Files.readString(userdata(dir, id).resolve("hostname")));
            assertEquals(List.of(), shmMounts(dir, id), "no shm with host IPC");
            PodSandboxStatus st = status(client, id);
            assertEquals(PodSandboxState.SANDBOX_READY, st.getState());
            assertEquals("", st.getNetwork().getIp());
            assertEquals(0, st.getNetwork().getAdditionalIpsCount());
            assertEquals(NamespaceMode.NODE, st.getLinux().getNamespaces().getOptions().getNetwork());
            assertEquals(NamespaceMode.NODE, st.getLinux().getNamespaces().getOptions().getIpc());
            assertEquals(leases, net.leases(), "no address taken for a host-network pod");
            assertEquals(cache, cacheEntries(net), "no CNI call for a host-network pod");
            JsonNode spec = verboseInfo(client, id).path("runtimeSpec");
            assertEquals(hostname, spec.path("hostname").asText());
            assertEquals("true", spec.at("/annotations/io.kubernetes.cri-o.HostNetwork").asText());
            for (JsonNode n : spec.at("/linux/namespaces")) {
                assertFalse(List.of("network", "uts", "ipc").contains(n.path("type").asText()), "host pod joins " + n);
            }

            // host IPC alone: network and UTS are the pod's own, IPC and shm the host's
            String ipcOnly = run(client, pod("host-ipc", podPid().setIpc(NamespaceMode.NODE)).setHostname("ipc-only").build());
            assertTrue(Files.exists(nsFile(dir, "netns", ipcOnly)));
            assertTrue(Files.exists(nsFile(dir, "utsns", ipcOnly)));
            assertFalse(Files.exists(nsFile(dir, "ipcns", ipcOnly)), "ipcns pinned with host IPC");
            assertEquals(List.of(), shmMounts(dir, ipcOnly), "shm with host IPC");
            assertEquals("ipc-only", exec("nsenter", "--uts=" + nsFile(dir, "utsns", ipcOnly), "hostname").out().strip());
            assertFalse(status(client, ipcOnly).getNetwork().getIp().isEmpty());
            stopPod(client, ipcOnly);
            removePod(client, ipcOnly);
            assertGone(dir, net, ipcOnly);
        } finally {
            stopPod(client, id);
            removePod(client, id);
        }
        assertGone(dir, net, id);
        assertEquals(hostname, Files.readString(Path.of("/proc/sys/kernel/hostname")).strip(), "the host keeps its name");
    }

    @Test
    void hostPortsReachThePodThroughTheGatewayAndTheirRulesGoWithStop() throws Exception {
        int hostPort = 30000 + ThreadLocalRandom.current().nextInt(2000);
        String id = run(client, pod("hostport").addPortMappings(PortMapping.newBuilder()
                .setProtocol(Protocol.TCP).setContainerPort(8080).setHostPort(hostPort)).build());
        try {
            String nat = CniFixtures.run("iptables-save", "-t", "nat");
            assertTrue(nat.contains(id), "portmap rules name the pod:\n" + nat);
            assertTrue(nat.contains("--dport " + hostPort), "a rule for host port " + hostPort);
            try (ServerSocket server = listenIn(nsFile(dir, "netns", id), 8080)) {
                CompletableFuture<String> peer = answerOnce(server, "via " + hostPort);
                assertEquals("via " + hostPort, connectAndRead(net.gateway(), hostPort));
                peer.get(10, TimeUnit.SECONDS);
            }
            stopPod(client, id);
            String after = iptables();
            assertFalse(after.contains(id), "rules of " + id + " remain after stop");
            assertFalse(after.contains("--dport " + hostPort + " "), "a rule for host port " + hostPort + " remains");
        } finally {
            stopPod(client, id);
            removePod(client, id);
        }
        assertGone(dir, net, id);
    }

    @Test
    void hostnameDnsAndSysctlsAreAppliedInThePodNamespaces() throws Exception {
        String id = run(client, pod("tuned").setHostname("tuned-pod")
                .setDnsConfig(DNSConfig.newBuilder().addServers("10.96.0.10").addServers("fd00::a")
                        .addSearches("e2e-ns.svc.cluster.local").addSearches("svc.cluster.local")
                        .addOptions("ndots:5").addOptions("edns0"))
                .putAnnotations("io.kubernetes.cri-o.ShmSize", "8Mi")
                .setLinux(LinuxPodSandboxConfig.newBuilder()
                        .putSysctls("net.ipv4.ip_forward", "1")
                        .putSysctls("net.ipv4.ping_group_range", "0 2147483647")
                        .putSysctls("kernel.msgmax", "16384")
                        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(podPid())))
                .build());
        String plain = run(client, pod("untuned").build());
        try {
            assertEquals("tuned-pod\n", Files.readString(userdata(dir, id).resolve("hostname")));
            assertEquals("tuned-pod", exec("nsenter", "--uts=" + nsFile(dir, "utsns", id), "hostname").out().strip());
            assertEquals("""
                    search e2e-ns.svc.cluster.local svc.cluster.local
                    nameserver 10.96.0.10
                    nameserver fd00::a
                    options ndots:5 edns0
                    """, Files.readString(userdata(dir, id).resolve("resolv.conf")));
            String netns = "--net=" + nsFile(dir, "netns", id);
            assertEquals("1", exec("nsenter", netns, "cat", "/proc/sys/net/ipv4/ip_forward").out().strip());
            assertEquals("0\t2147483647", exec("nsenter", netns, "cat", "/proc/sys/net/ipv4/ping_group_range").out().strip());
            assertEquals("16384", exec("nsenter", "--ipc=" + nsFile(dir, "ipcns", id), "cat", "/proc/sys/kernel/msgmax")
                    .out().strip());
            String plainNetns = "--net=" + nsFile(dir, "netns", plain);
            assertEquals("1\t0", exec("nsenter", plainNetns, "cat", "/proc/sys/net/ipv4/ping_group_range").out().strip(),
                    "another pod keeps the kernel's default");
            assertNotEquals("16384", exec("nsenter", "--ipc=" + nsFile(dir, "ipcns", plain), "cat",
                    "/proc/sys/kernel/msgmax").out().strip(), "another pod keeps the kernel's default");
            assertNotEquals("16384", Files.readString(Path.of("/proc/sys/kernel/msgmax")).strip(), "the host keeps its value");
            String shm = mountsUnder(dir).stream().filter(l -> l.split(" ")[4].equals(userdata(dir, id).resolve("shm").toString()))
                    .findFirst().orElseThrow(() -> new AssertionError("shm not mounted"));
            assertTrue(shm.contains("size=8192k"), "ShmSize annotation: " + shm);
            JsonNode spec = verboseInfo(client, id).path("runtimeSpec");
            assertEquals("tuned-pod", spec.path("hostname").asText());
            assertEquals("tuned-pod", spec.at("/annotations/io.kubernetes.cri-o.HostName").asText());
            assertEquals(userdata(dir, id).resolve("resolv.conf").toString(),
                    spec.at("/annotations/io.kubernetes.cri-o.ResolvPath").asText());
        } finally {
            for (String p : List.of(id, plain)) {
                stopPod(client, p);
                removePod(client, p);
            }
        }
        assertGone(dir, net, id);
        assertGone(dir, net, plain);
    }

    @Test
    void badRequestsAreRejectedWithoutLeavingAnythingOrTakingTheName() throws Exception {
        HostState before = hostState(dir, net);
        NamespaceOption.Builder hostNet = podPid().setNetwork(NamespaceMode.NODE);
        NamespaceOption.Builder hostIpc = podPid().setIpc(NamespaceMode.NODE);
        Map<String, RunPodSandboxRequest> bad = new LinkedHashMap<>();
        bad.put("sysctl value with +", request(pod("bad").setLinux(linux(podPid())
                .putSysctls("net.ipv4.ip_forward", "1+kernel.core_pattern=x"))));
        bad.put("sysctl value with a newline", request(pod("bad").setLinux(linux(podPid())
                .putSysctls("net.ipv4.ip_forward", "1\nkernel.core_pattern=x"))));
        bad.put("a host-wide sysctl", request(pod("bad").setLinux(linux(podPid()).putSysctls("kernel.core_pattern", "x"))));
        bad.put("a sysctl name with a path", request(pod("bad").setLinux(linux(podPid())
                .putSysctls("../../kernel/core_pattern", "x"))));
        bad.put("a net sysctl with host network", request(pod("bad", hostNet).setLinux(linux(hostNet)
                .putSysctls("net.ipv4.ip_forward", "1"))));
        bad.put("an IPC sysctl with host IPC", request(pod("bad", hostIpc).setLinux(linux(hostIpc)
                .putSysctls("kernel.msgmax", "1"))));
        bad.put("an unknown runtime handler", request(pod("bad")).toBuilder().setRuntimeHandler("nope").build());
        bad.put("no metadata", request(pod("bad").clearMetadata()));
        bad.put("a DNS server that is no address", request(pod("bad").setDnsConfig(DNSConfig.newBuilder()
                .addServers("not-an-ip"))));
        bad.put("an unparsable ShmSize", request(pod("bad").putAnnotations("io.kubernetes.cri-o.ShmSize", "lots")));
        bad.put("a negative ShmSize", request(pod("bad").putAnnotations("io.kubernetes.cri-o.ShmSize", "-1Mi")));
        bad.put("no config", RunPodSandboxRequest.getDefaultInstance());
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, RunPodSandboxRequest> e : bad.entrySet()) {
            try {
                String id = client.runtime().withDeadlineAfter(60, TimeUnit.SECONDS).runPodSandbox(e.getValue())
                        .getPodSandboxId();
                failures.add(e.getKey() + ": accepted as " + id);
                stopPod(client, id);
                removePod(client, id);
            } catch (StatusRuntimeException ex) {
                if (ex.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                    failures.add(e.getKey() + ": " + ex.getStatus());
                }
            }
            HostState now = hostState(dir, net);
            if (!now.equals(before)) {
                failures.add(e.getKey() + ": left " + now + " (before: " + before + ")");
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(iptables().lines().noneMatch(l -> l.contains("uid-bad")), "no rule for a rejected pod");

        // none of the rejected requests took the name
        String id = run(client, pod("bad").build());
        try {
            HostState one = hostState(dir, net);
            StatusRuntimeException dup = assertThrows(StatusRuntimeException.class, () -> run(client, pod("bad").build()));
            assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode());
            assertTrue(dup.getStatus().getDescription().contains(id), dup.getStatus().toString());
            assertEquals(one, hostState(dir, net), "a duplicate creates nothing");
            assertEquals(PodSandboxState.SANDBOX_READY, status(client, id).getState(), "the first pod is untouched");

            PodSandboxConfig retry = pod("bad").setMetadata(pod("bad").getMetadata().toBuilder().setAttempt(1)).build();
            String second = run(client, retry);
            assertNotEquals(id, second);
            stopPod(client, second);
            removePod(client, second);
            assertGone(dir, net, second);
        } finally {
            stopPod(client, id);
            removePod(client, id);
        }
        assertGone(dir, net, id);
        assertEquals(before, hostState(dir, net));
    }

    static LinuxPodSandboxConfig.Builder linux(NamespaceOption.Builder ns) {
        return LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                .setNamespaceOptions(ns));
    }

    static RunPodSandboxRequest request(PodSandboxConfig.Builder config) {
        return RunPodSandboxRequest.newBuilder().setConfig(config).build();
    }

    @Test
    void listFiltersUnknownIdsAndIdempotentTeardown() throws Exception {
        String web = run(client, pod("list-web").putLabels("app", "web").putLabels("tier", "fe").build());
        String api = run(client, pod("list-api").putLabels("app", "web").putLabels("tier", "be").build());
        String db = run(client, pod("list-db").putLabels("app", "db").build());
        try {
            stopPod(client, db);
            assertEquals(List.of(web), listIds(client, PodSandboxFilter.newBuilder().setId(web).build()));
            assertEquals(List.of(web), listIds(client, PodSandboxFilter.newBuilder().setId(uniquePrefix(web, api, db)).build()));
            assertEquals(List.of(), listIds(client, PodSandboxFilter.newBuilder().setId("ffffffffffff" + web).build()));
            assertEquals(sorted(web, api), sorted(listIds(client, PodSandboxFilter.newBuilder()
                    .putLabelSelector("app", "web").build())));
            assertEquals(List.of(api), listIds(client, PodSandboxFilter.newBuilder().putLabelSelector("app", "web")
                    .putLabelSelector("tier", "be").build()));
            assertEquals(List.of(), listIds(client, PodSandboxFilter.newBuilder().setId(web)
                    .putLabelSelector("tier", "be").build()));
            assertEquals(List.of(db), listIds(client, PodSandboxFilter.newBuilder().setState(state(PodSandboxState.SANDBOX_NOTREADY))
                    .putLabelSelector("app", "db").build()));
            assertEquals(List.of(), listIds(client, PodSandboxFilter.newBuilder().setState(state(PodSandboxState.SANDBOX_READY))
                    .putLabelSelector("app", "db").build()));
            List<String> ready = listIds(client, PodSandboxFilter.newBuilder().setState(state(PodSandboxState.SANDBOX_READY)).build());
            assertTrue(ready.containsAll(List.of(web, api)) && !ready.contains(db), ready.toString());
            List<PodSandbox> all = client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
            PodSandbox item = all.stream().filter(p -> p.getId().equals(web)).findFirst().orElseThrow();
            assertEquals(Map.of("app", "web", "tier", "fe"), item.getLabelsMap());
            assertEquals("list-web", item.getMetadata().getName());
            assertEquals("runc", item.getRuntimeHandler());
            assertEquals(PodSandboxState.SANDBOX_NOTREADY,
                    all.stream().filter(p -> p.getId().equals(db)).findFirst().orElseThrow().getState());

            String unknown = "0".repeat(64);
            stopPod(client, unknown);
            removePod(client, unknown);
            StatusRuntimeException nf = assertThrows(StatusRuntimeException.class, () -> status(client, unknown));
            assertEquals(Status.Code.NOT_FOUND, nf.getStatus().getCode());

            stopPod(client, db);
            removePod(client, db);
            removePod(client, db);
            stopPod(client, db);
            StatusRuntimeException removed = assertThrows(StatusRuntimeException.class, () -> status(client, db));
            assertEquals(Status.Code.NOT_FOUND, removed.getStatus().getCode());
            assertEquals(List.of(), listIds(client, PodSandboxFilter.newBuilder().putLabelSelector("app", "db").build()));
            assertGone(dir, net, db);
            assertEquals(PodSandboxState.SANDBOX_READY, status(client, web).getState(), "other pods are untouched");
        } finally {
            for (String p : List.of(web, api, db)) {
                stopPod(client, p);
                removePod(client, p);
            }
        }
        assertGone(dir, net, web);
        assertGone(dir, net, api);
    }

    /** The shortest prefix of {@code id}, at least 6 characters, that no other ID starts with. */
    static String uniquePrefix(String id, String... others) {
        for (int len = 6; len < id.length(); len++) {
            String p = id.substring(0, len);
            if (Stream.of(others).noneMatch(o -> o.startsWith(p))) {
                return p;
            }
        }
        return id;
    }

    static PodSandboxStateValue state(PodSandboxState s) {
        return PodSandboxStateValue.newBuilder().setState(s).build();
    }

    static List<String> sorted(String... ids) {
        return Stream.of(ids).sorted().toList();
    }

    static List<String> sorted(List<String> ids) {
        return ids.stream().sorted().toList();
    }

    @Test
    void networkReadyFollowsTheConfigurationDirectory() throws Exception {
        Path conf = dir.resolve("net.d/10-e2e.conflist");
        String good = Files.readString(conf);
        try {
            awaitNetworkReady(client, true);
            Files.delete(conf);
            awaitNetworkReady(client, false);
            RuntimeCondition c = networkCondition(client);
            assertEquals("NetworkPluginNotReady", c.getReason());
            assertFalse(c.getMessage().isEmpty(), "a message says why");
            HostState before = hostState(dir, net);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> run(client, pod("no-net").build()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            assertEquals(before, hostState(dir, net), "a pod refused for want of a network leaves nothing");
            Files.writeString(conf, "{ not json");
            Thread.sleep(200);
            assertFalse(networkCondition(client).getStatus(), "a broken file is no network");
            Files.writeString(conf, good);
            awaitNetworkReady(client, true);
            RuntimeCondition runtime = client.runtime().status(StatusRequest.getDefaultInstance()).getStatus()
                    .getConditionsList().stream().filter(r -> r.getType().equals("RuntimeReady")).findFirst().orElseThrow();
            assertTrue(runtime.getStatus(), "RuntimeReady does not depend on the network");
            String id = run(client, pod("net-back").build());
            assertFalse(status(client, id).getNetwork().getIp().isEmpty());
            stopPod(client, id);
            removePod(client, id);
            assertGone(dir, net, id);
        } finally {
            Files.writeString(conf, good);
            awaitNetworkReady(client, true);
        }
    }

    static RuntimeCondition networkCondition(CriClient c) {
        return c.runtime().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList().stream()
                .filter(r -> r.getType().equals("NetworkReady")).findFirst().orElseThrow();
    }

    static void awaitNetworkReady(CriClient c, boolean wanted) throws Exception {
        await("NetworkReady=" + wanted, () -> networkCondition(c).getStatus() == wanted);
    }

    @Test
    void aFailingPluginIsRolledBackIncludingItsHostPortRules(@TempDir Path other) throws Exception {
        CniFixtures n = CniFixtures.random("e2e-failpoint", other);
        Path delLog = other.resolve("del.log");
        CniFixtures.writeFailpoint(other.resolve("plugins"), delLog);
        writeConfig(other, n.conflist(CniFixtures.PORTMAP, "{\"type\":\"failpoint\"}"));
        int hostPort = 30000 + ThreadLocalRandom.current().nextInt(2000);
        PodSandboxConfig config = pod("fails").addPortMappings(PortMapping.newBuilder().setProtocol(Protocol.TCP)
                .setContainerPort(8080).setHostPort(hostPort)).build();
        try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
            try {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> run(cl, config));
                assertTrue(e.getStatus().getDescription().contains("failpoint ADD"), e.getStatus().toString());
                assertNotEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
                List<String> dels = Files.exists(delLog) ? Files.readAllLines(delLog) : List.of();
                assertEquals(1, dels.size(), "the failed ADD was undone with one DEL: " + dels);
                String failedId = dels.get(0).substring("DEL ".length()).strip();
                assertTrue(failedId.matches("[0-9a-f]{64}"), failedId);

                for (String kind : NS_KINDS) {
                    assertEquals(List.of(), files(other.resolve("ns").resolve(kind)), kind);
                }
                assertEquals(List.of(), mountsUnder(other));
                assertEquals("", n.bridgePorts().strip(), "no veth on the bridge");
                assertEquals(List.of(), n.leases());
                assertEquals(List.of(), cacheEntries(n));
                assertEquals(List.of(), files(other.resolve("runroot/overlay-containers")));
                assertEquals(List.of(), files(other.resolve("root/crio/sandboxes")));
                String rules = iptables();
                assertFalse(rules.contains(failedId), "portmap rules of the failed pod remain");
                assertFalse(rules.contains("--dport " + hostPort + " "), "a rule for host port " + hostPort + " remains");
                assertEquals(List.of(), cl.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList());
                assertGone(other, n, failedId);

                writeConfig(other, n.conflist(CniFixtures.PORTMAP));
                String id = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (id == null) {
                    try {
                        id = run(cl, config);
                    } catch (StatusRuntimeException again) {
                        if (System.nanoTime() > deadline) {
                            throw again;
                        }
                        Thread.sleep(20);
                    }
                }
                assertNotEquals(failedId, id);
                String ip = status(cl, id).getNetwork().getIp();
                assertEquals(List.of(ip), n.leases());
                try (ServerSocket server = listenIn(nsFile(other, "netns", id), 8080)) {
                    CompletableFuture<String> peer = answerOnce(server, "second try");
                    assertEquals("second try", connectAndRead(n.gateway(), hostPort));
                    peer.get(10, TimeUnit.SECONDS);
                }
                stopPod(cl, id);
                removePod(cl, id);
                assertGone(other, n, id);
                assertEquals(List.of(), n.leases());
                assertEquals(List.of(), mountsUnder(other));
            } finally {
                cl.removeAllPods();
            }
        } finally {
            n.deleteBridge();
        }
    }

    @Test
    void aRestartedDaemonTearsPodsDownFromTheCniCacheEvenWithoutTheNetworkConfig(@TempDir Path other) throws Exception {
        CniFixtures n = CniFixtures.random("e2e-restart", other);
        writeConfig(other, n.conflist());
        String running;
        String stopped;
        String ip;
        String veth;
        try {
            try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
                running = run(cl, pod("survivor").putLabels("keep", "me").build());
                stopped = run(cl, pod("stopped").build());
                stopPod(cl, stopped);
                ip = status(cl, running).getNetwork().getIp();
                veth = hostVeth(n, running);
                c.signal("TERM");
                assertEquals(0, c.awaitExit(START), c.log());
            }
            // pods outlive the daemon
            assertEquals(List.of(ip), n.leases());
            assertTrue(linkExists(veth));
            assertTrue(Files.exists(nsFile(other, "netns", running)));
            assertTrue(Files.exists(cacheFile(n, running)));
            assertTrue(mountsUnder(other).stream().anyMatch(l -> l.contains(running)), "shm stays mounted");

            // the network configuration is gone when the daemon comes back: teardown uses the cached result
            Files.delete(other.resolve("net.d/10-e2e.conflist"));
            try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
                try {
                    awaitNetworkReady(cl, false);
                    Map<String, PodSandbox> pods = new LinkedHashMap<>();
                    cl.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()
                            .forEach(p -> pods.put(p.getId(), p));
                    assertEquals(sorted(running, stopped), sorted(List.copyOf(pods.keySet())));
                    assertEquals(PodSandboxState.SANDBOX_READY, pods.get(running).getState());
                    assertEquals(PodSandboxState.SANDBOX_NOTREADY, pods.get(stopped).getState());
                    assertEquals(Map.of("keep", "me"), pods.get(running).getLabelsMap());
                    assertEquals(ip, status(cl, running).getNetwork().getIp());
                    StatusRuntimeException dup = assertThrows(StatusRuntimeException.class,
                            () -> run(cl, pod("stopped").build()));
                    assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode(), "names survive a restart");

                    stopPod(cl, running);
                    assertEquals(PodSandboxState.SANDBOX_NOTREADY, status(cl, running).getState());
                    assertEquals(List.of(), n.leases(), "lease released by DEL from the cache");
                    assertFalse(linkExists(veth), "veth " + veth + " remains");
                    assertFalse(Files.exists(cacheFile(n, running)));
                    assertFalse(Files.exists(nsFile(other, "netns", running)));
                    removePod(cl, running);
                    removePod(cl, stopped);
                    assertEquals(List.of(), cl.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
                            .getItemsList());
                } finally {
                    cl.removeAllPods();
                }
            }
            assertGone(other, n, running);
            assertGone(other, n, stopped);
            assertEquals(List.of(), mountsUnder(other));
            assertEquals("", n.bridgePorts().strip());
        } finally {
            n.deleteBridge();
        }
    }
}
