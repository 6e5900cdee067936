package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pod sandboxes when things go wrong: a network plugin failing on ADD (rolled back with the pod's cgroup)
 * or on DEL (stop and remove fail, keep what a retry needs, and the retry finishes), a daemon killed outright
 * under running pods, network configurations that are broken or name a plugin not installed yet, requests
 * that try to smuggle settings into sysctls, resolv.conf or cgroup paths, and many pods created and torn
 * down at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PodSandboxFaultsIT {

    static final Duration START = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    CniFixture net;
    CrioProcess crio;
    CriClient client;

    @BeforeAll
    void start() throws Exception {
        net = CniFixture.create("faults", dir);
        net.writeConfig(net.conflist());
        crio = CrioProcess.start(dir, Map.of()).awaitReady(START);
        client = new CriClient(crio.socket());
    }

    /** A failed test's pods do not spill into the next test. */
    @AfterEach
    void removeLeftovers() {
        if (client != null) {
            client.removeAllPods();
        }
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (client != null) {
                client.removeAllPods();
                client.close();
            }
            if (crio != null) {
                crio.close();
            }
        } finally {
            net.deleteBridge();
        }
        assertEquals(List.of(), net.cacheFiles(), "CNI cache files of " + net.network());
        assertEquals(List.of(), net.mountsUnder(), "mounts under " + dir);
    }

    // ---------------------------------------------------------------------------------------------------------
    // requests

    static LinuxPodSandboxConfig.Builder linux(NamespaceOption.Builder ns) {
        return LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(ns));
    }

    static NamespaceOption.Builder podNamespaces() {
        return NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER);
    }

    static PodSandboxConfig.Builder pod(String name) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("faults").setUid("uid-" + name))
                .setLinux(linux(podNamespaces()));
    }

    static String run(CriClient c, PodSandboxConfig config) {
        return c.runtime().withDeadlineAfter(60, TimeUnit.SECONDS)
                .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
    }

    static PodSandboxStatus status(CriClient c, String id) {
        return c.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus();
    }

    static void stopPod(CriClient c, String id) {
        c.runtime().withDeadlineAfter(60, TimeUnit.SECONDS)
                .stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    static void removePod(CriClient c, String id) {
        c.runtime().withDeadlineAfter(60, TimeUnit.SECONDS)
                .removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    static List<String> ids(CriClient c, PodSandboxFilter filter) {
        return c.runtime().listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(filter).build())
                .getItemsList().stream().map(PodSandbox::getId).toList();
    }

    static PodSandboxFilter inState(PodSandboxState state) {
        return PodSandboxFilter.newBuilder().setState(PodSandboxStateValue.newBuilder().setState(state)).build();
    }

    static StatusRuntimeException failure(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run);
    }

    static String descriptionOf(StatusRuntimeException e) {
        return String.valueOf(e.getStatus().getDescription());
    }

    static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Polls {@code condition} every 10 ms until it holds or {@code timeout} passes. */
    static boolean await(Callable<Boolean> condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (condition.call()) {
                return true;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        return condition.call();
    }

    static RuntimeCondition networkCondition(CriClient c) {
        return c.runtime().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList().stream()
                .filter(x -> x.getType().equals("NetworkReady")).findFirst().orElseThrow();
    }

    static boolean awaitNetworkReady(CriClient c, boolean wanted) throws Exception {
        return await(() -> networkCondition(c).getStatus() == wanted, Duration.ofSeconds(5));
    }

    // ---------------------------------------------------------------------------------------------------------
    // the host

    static String hostFile(String path) throws Exception {
        return Files.readString(Path.of(path)).strip();
    }

    /** Mounted cgroup hierarchies (v1 controllers and the v2 tree) whose root is the host's. */
    static List<Path> cgroupHierarchies() throws Exception {
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] parts = line.split(" - ", 2);
            String[] pre = parts[0].split(" ");
            if (parts.length == 2 && pre.length >= 5 && pre[3].equals("/")
                    && (parts[1].startsWith("cgroup ") || parts[1].startsWith("cgroup2 "))) {
                Path p = Path.of(pre[4]);
                if (!out.contains(p)) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    static void removeCgroupParent(String parent) throws Exception {
        for (Path h : cgroupHierarchies()) {
            Path p = h.resolve(parent.substring(1));
            if (Files.isDirectory(p)) {
                try (var s = Files.list(p)) {
                    for (Path child : s.filter(Files::isDirectory).toList()) {
                        Files.deleteIfExists(child);
                    }
                }
                Files.deleteIfExists(p);
            }
        }
    }

    static ServerSocket listenIn(Path netns, int port) throws Exception {
        return NamespacePinner.runInNamespace(netns, NamespacePinner.NamespaceKind.NET,
                () -> new ServerSocket(port, 50, InetAddress.getByName("0.0.0.0")));
    }

    /** Answers one connection on {@code server} with {@code greeting}. */
    static Thread greetOnce(ServerSocket server, String greeting) {
        return Thread.ofVirtual().start(() -> {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                out.write(greeting.getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                // the client side fails the test
            }
        });
    }

    /** Connects from the host to {@code host:port} and returns what the server sent. */
    static String fetchFrom(String host, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(10_000);
            try (InputStream in = s.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // tests

    @Test
    void aPluginFailingOnAddIsRolledBackAndOneFailingOnDelKeepsThePodUntilARetrySucceeds(@TempDir Path other)
            throws Exception {
        CniFixture fp = CniFixture.create("faults-fp", other);
        fp.writeFailpoint();
        fp.writeConfig(fp.conflistWithFailpoint());
        String parent = "/faults-" + randomHex(3);
        try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
            try {
                CniFixture.Snapshot empty = fp.snapshot();
                PodSandboxConfig config = pod("fail").setLinux(linux(podNamespaces()).setCgroupParent(parent)).build();
                StatusRuntimeException e = failure(() -> run(cl, config));
                assertTrue(descriptionOf(e).contains("failpoint ADD"), e.getStatus().toString());

                List<String> calls = fp.failpointCalls();
                assertEquals(2, calls.size(), "one ADD, then the DEL undoing it: " + calls);
                String failedId = calls.get(0).split(" ")[1];
                assertTrue(calls.get(0).startsWith("ADD " + failedId + " "), calls.toString());
                assertTrue(calls.get(1).startsWith("DEL " + failedId + " "), "the DEL is for the same pod: " + calls);
                assertEquals(empty, fp.snapshot(), "nothing left after the failed ADD");
                for (Path h : cgroupHierarchies()) {
                    assertFalse(Files.exists(h.resolve(parent.substring(1)).resolve("crio-" + failedId)),
                            "the pod cgroup in " + h + " was rolled back");
                }
                assertEquals(List.of(), CniFixture.linesWith(CniFixture.iptables(), failedId));

                // a DEL that fails: stop and remove report it and keep what a retry needs; the retry finishes
                fp.failpointMode("del");
                Files.delete(fp.conflistFile());
                assertTrue(awaitNetworkReady(cl, false));
                fp.writeConflist(fp.conflistFailpointFirst());
                assertTrue(awaitNetworkReady(cl, true));
                String id = run(cl, config);
                String ip = status(cl, id).getNetwork().getIp();
                assertTrue(ip.startsWith(fp.subnetPrefix() + "."), ip);
                assertTrue(fp.cachedConfig(id).contains("\"failpoint\""), "attached through the failpoint");

                StatusRuntimeException stopFailure = failure(() -> stopPod(cl, id));
                assertTrue(descriptionOf(stopFailure).contains("failpoint DEL"), stopFailure.getStatus().toString());
                assertTrue(Files.exists(fp.cacheFile(id)), "the CNI cache file stays for the retry");
                assertEquals(PodSandboxState.SANDBOX_NOTREADY, status(cl, id).getState());
                StatusRuntimeException removeFailure = failure(() -> removePod(cl, id));
                assertTrue(descriptionOf(removeFailure).contains("failpoint DEL"), removeFailure.getStatus().toString());
                assertTrue(Files.exists(fp.stateFile(id)), "a pod whose network is still attached stays known");
                assertEquals(List.of(id), ids(cl, PodSandboxFilter.getDefaultInstance()));
                assertEquals(Status.Code.ALREADY_EXISTS, failure(() -> run(cl, config)).getStatus().getCode(),
                        "its name stays taken");

                fp.failpointMode("");
                stopPod(cl, id);
                assertFalse(Files.exists(fp.cacheFile(id)), "cache file after the retried stop");
                assertFalse(Files.exists(fp.leaseFile(ip)), "lease after the retried stop");
                assertEquals(List.of(), fp.bridgePorts(), "veth after the retried stop");
                for (String kind : CniFixture.NAMESPACE_KINDS) {
                    assertFalse(Files.exists(fp.namespaceFile(kind, id)), kind + " after the retried stop");
                }
                assertEquals(List.of(), fp.mountsUnder(), "mounts after the retried stop");
                removePod(cl, id);
                for (Path h : cgroupHierarchies()) {
                    assertFalse(Files.exists(h.resolve(parent.substring(1)).resolve("crio-" + id)), "cgroup in " + h);
                }
                assertEquals(empty, fp.snapshot());
                assertEquals(List.of(), ids(cl, PodSandboxFilter.getDefaultInstance()));
            } finally {
                fp.failpointMode("");
                cl.removeAllPods();
            }
        } finally {
            fp.deleteBridge();
            removeCgroupParent(parent);
        }
    }

    @Test
    void aKilledDaemonLosesNoPodAndPodsKeepTheirNetworkAcrossRestarts(@TempDir Path other) throws Exception {
        CniFixture rs = CniFixture.create("faults-rs", other);
        rs.writeConfig(rs.conflist());
        String a;
        String b;
        String ipA;
        long createdA;
        try {
            try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
                a = run(cl, pod("survivor").putLabels("app", "kept").build());
                b = run(cl, pod("stopped").build());
                stopPod(cl, b);
                PodSandboxStatus st = status(cl, a);
                ipA = st.getNetwork().getIp();
                createdA = st.getCreatedAt();
                c.signal("KILL");
                c.awaitExit(START);
            }
            assertEquals(List.of(ipA), rs.leases(), "a's lease outlives the daemon, b's was released");
            assertTrue(rs.isPinned(rs.namespaceFile("netns", a)), "a's netns outlives the daemon");

            try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
                Map<String, PodSandboxState> states = new LinkedHashMap<>();
                cl.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()
                        .forEach(p -> states.put(p.getId(), p.getState()));
                assertEquals(Map.of(a, PodSandboxState.SANDBOX_READY, b, PodSandboxState.SANDBOX_NOTREADY), states,
                        "a killed daemon lost nothing");
                PodSandboxStatus st = status(cl, a);
                assertEquals(ipA, st.getNetwork().getIp());
                assertEquals(createdA, st.getCreatedAt());
                assertEquals(Map.of("app", "kept"), st.getLabelsMap());
                try (ServerSocket server = listenIn(rs.namespaceFile("netns", a), 8080)) {
                    Thread t = greetOnce(server, "still here");
                    assertEquals("still here", fetchFrom(ipA, 8080), "the pod's network survived the daemon");
                    t.join(10_000);
                }
                assertEquals(Status.Code.ALREADY_EXISTS, failure(() -> run(cl, pod("survivor").build())).getStatus()
                        .getCode(), "the name is still taken");
                // a new pod gets another address than the one the restarted daemon's pod holds
                String fresh = run(cl, pod("fresh").build());
                assertNotEquals(ipA, status(cl, fresh).getNetwork().getIp());
                stopPod(cl, fresh);
                removePod(cl, fresh);
                c.signal("TERM");
                assertEquals(0, c.awaitExit(START), c.log());
            }

            try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
                try {
                    assertEquals(List.of(a), ids(cl, inState(PodSandboxState.SANDBOX_READY)));
                    assertEquals(List.of(b), ids(cl, inState(PodSandboxState.SANDBOX_NOTREADY)));
                    stopPod(cl, a);
                    assertEquals(List.of(), rs.leases(), "the lease was released");
                    assertEquals(List.of(), rs.bridgePorts(), "the veth is gone");
                    assertFalse(Files.exists(rs.cacheFile(a)), "the cache file is gone");
                    for (String id : List.of(a, b)) {
                        removePod(cl, id);
                    }
                    assertEquals(List.of(), ids(cl, PodSandboxFilter.getDefaultInstance()));
                    assertEquals(new CniFixture.Snapshot(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                            List.of()), rs.snapshot());
                } finally {
                    cl.removeAllPods();
                }
            }
        } finally {
            rs.deleteBridge();
        }
    }

    @Test
    void networkReadyWaitsForMissingPluginsAndSkipsBrokenFiles() throws Exception {
        String good = Files.readString(net.conflistFile());
        String missingType = "faultsmissing" + randomHex(3);
        Path missingPlugin = net.pluginDir().resolve(missingType);
        Path broken = dir.resolve("net.d/05-broken.conflist");
        try {
            assertTrue(awaitNetworkReady(client, true));

            net.writeConflist(net.conflist("{\"type\":\"" + missingType + "\"}"));
            assertTrue(awaitNetworkReady(client, false), "not ready while a plugin of the network is missing");
            RuntimeCondition c = networkCondition(client);
            assertEquals("NetworkPluginNotReady", c.getReason());
            assertTrue(c.getMessage().contains(missingType), "the message names the missing plugin: " + c.getMessage());
            CniFixture.Snapshot before = net.snapshot();
            assertThrows(StatusRuntimeException.class, () -> run(client, pod("no-plugin").build()));
            assertEquals(before, net.snapshot(), "a pod refused for want of a plugin left nothing behind");

            Files.writeString(missingPlugin, "#!/bin/sh\nexit 0\n");
            assertTrue(missingPlugin.toFile().setExecutable(true));
            assertTrue(awaitNetworkReady(client, true), "ready once the plugin is installed, net.d untouched");

            Files.delete(net.conflistFile());
            assertTrue(awaitNetworkReady(client, false));
            Files.writeString(broken, "{\"cniVersion\":\"1.0.0\",\"name\":");
            net.writeConflist(good);
            assertTrue(awaitNetworkReady(client, true), "a broken file sorted first does not hide a good one");
            String id = run(client, pod("past-broken").build());
            assertTrue(status(client, id).getNetwork().getIp().startsWith(net.subnetPrefix() + "."));
            stopPod(client, id);
            removePod(client, id);

            Files.delete(net.conflistFile());
            assertTrue(awaitNetworkReady(client, false), "only a broken file left");
            Files.delete(broken);
            net.writeConflist(good);
            assertTrue(awaitNetworkReady(client, true), "ready again after the good conflist is renamed into place");
        } finally {
            Files.deleteIfExists(broken);
            net.writeConflist(good);
            Files.deleteIfExists(missingPlugin);
        }
        assertTrue(awaitNetworkReady(client, true));
    }

    @Test
    void smuggledSettingsAreRefusedWithoutATrace() throws Exception {
        CniFixture.Snapshot before = net.snapshot();
        String coreBefore = hostFile("/proc/sys/kernel/core_pattern");
        String forwardBefore = hostFile("/proc/sys/net/ipv4/ip_forward");
        Map<String, PodSandboxConfig.Builder> bad = new LinkedHashMap<>();
        bad.put("a sysctl value with a carriage return", pod("smuggle-0").setLinux(linux(podNamespaces())
                .putSysctls("net.ipv4.ip_forward", "1\rkernel.core_pattern=x")));
        bad.put("a sysctl value with '='", pod("smuggle-1").setLinux(linux(podNamespaces())
                .putSysctls("net.ipv4.ip_forward", "1 kernel.core_pattern=x")));
        bad.put("a sysctl value with a NUL", pod("smuggle-2").setLinux(linux(podNamespaces())
                .putSysctls("net.ipv4.ip_forward", "1\0")));
        bad.put("a sysctl key climbing out of net", pod("smuggle-3").setLinux(linux(podNamespaces())
                .putSysctls("net/../kernel/ostype", "Linux")));
        bad.put("a sysctl key climbing out of net with dots", pod("smuggle-4").setLinux(linux(podNamespaces())
                .putSysctls("net.ipv4/../../kernel/ostype", "Linux")));
        bad.put("a sysctl key with '='", pod("smuggle-5").setLinux(linux(podNamespaces())
                .putSysctls("net.ipv4.ip_forward=1 kernel.core_pattern", "x")));
        bad.put("a DNS search with a line break", pod("smuggle-6").setDnsConfig(DNSConfig.newBuilder()
                .addSearches("cluster.local\nnameserver 6.6.6.6")));
        bad.put("a DNS option with a line break", pod("smuggle-7").setDnsConfig(DNSConfig.newBuilder()
                .addOptions("ndots:5\nnameserver 6.6.6.6")));
        bad.put("a DNS server with a second word", pod("smuggle-8").setDnsConfig(DNSConfig.newBuilder()
                .addServers("10.0.0.1 6.6.6.6")));
        bad.put("a hostname with a line break", pod("smuggle-9").setHostname("web\nevil"));
        bad.put("a hostname with '_'", pod("smuggle-10").setHostname("bad_name"));
        bad.put("a pod name with '/'", pod("smuggle/11"));
        bad.put("a pod namespace with '..'", pod("smuggle-12").setMetadata(PodSandboxMetadata.newBuilder()
                .setName("smuggle-12").setNamespace("../..").setUid("u")));
        bad.put("a cgroup parent climbing out", pod("smuggle-13").setLinux(linux(podNamespaces())
                .setCgroupParent("/../../etc")));
        bad.put("a host port mapped twice", pod("smuggle-14")
                .addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(31999))
                .addPortMappings(PortMapping.newBuilder().setContainerPort(81).setHostPort(31999)));
        bad.put("a container port out of range", pod("smuggle-15")
                .addPortMappings(PortMapping.newBuilder().setContainerPort(70000).setHostPort(31998)));
        bad.put("the network of another container", pod("smuggle-16").setLinux(linux(podNamespaces()
                .setNetwork(NamespaceMode.CONTAINER))));
        bad.put("an unparsable bandwidth", pod("smuggle-17").putAnnotations("kubernetes.io/ingress-bandwidth", "fast"));
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, PodSandboxConfig.Builder> e : bad.entrySet()) {
            PodSandboxConfig config = e.getValue().build();
            try {
                String id = run(client, config);
                failures.add(e.getKey() + ": accepted as " + id);
                stopPod(client, id);
                removePod(client, id);
            } catch (StatusRuntimeException ex) {
                if (ex.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                    failures.add(e.getKey() + ": " + ex.getStatus());
                }
            }
            CniFixture.Snapshot now = net.snapshot();
            if (!now.equals(before)) {
                failures.add(e.getKey() + ": left " + now);
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(coreBefore, hostFile("/proc/sys/kernel/core_pattern"), "the host's core_pattern");
        assertEquals(forwardBefore, hostFile("/proc/sys/net/ipv4/ip_forward"), "the host's ip_forward");
        assertEquals(List.of(), ids(client, PodSandboxFilter.getDefaultInstance()));

        // none of them took its name
        String id = run(client, pod("smuggle-0").build());
        stopPod(client, id);
        removePod(client, id);
        assertEquals(before, net.snapshot());
    }

    @Test
    void manyPodsRunAndGoAwayAtOnce() throws Exception {
        CniFixture.Snapshot before = net.snapshot();
        int n = 8;
        List<String> pods = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<String>> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                PodSandboxConfig config = pod("many-" + i).build();
                runs.add(pool.submit(() -> run(client, config)));
            }
            for (Future<String> f : runs) {
                pods.add(f.get(60, TimeUnit.SECONDS));
            }
            List<String> ips = new ArrayList<>();
            for (String id : pods) {
                PodSandboxStatus st = status(client, id);
                assertEquals(PodSandboxState.SANDBOX_READY, st.getState());
                ips.add(st.getNetwork().getIp());
            }
            assertEquals(n, ips.stream().distinct().count(), "distinct addresses: " + ips);
            assertEquals(ips.stream().sorted().toList(), net.leases().stream().filter(ips::contains).sorted().toList());
            assertEquals(before.leases().size() + n, net.leases().size());
            assertEquals(before.bridgePorts().size() + n, net.bridgePorts().size(), "one veth each");
            assertEquals(n, pods.stream().distinct().count());

            List<Future<?>> teardowns = new ArrayList<>();
            for (String id : pods) {
                teardowns.add(pool.submit(() -> {
                    stopPod(client, id);
                    removePod(client, id);
                    return null;
                }));
            }
            for (Future<?> f : teardowns) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        assertEquals(before, net.snapshot(), "nothing left after tearing them all down at once");
    }
}
