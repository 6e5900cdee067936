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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pod sandboxes with real CNI plugins (bridge, host-local, portmap) on the real daemon: addresses,
 * reachability, host ports, hostname/DNS/sysctls, rejections, rollback after a failing plugin, restarts,
 * and that nothing (namespace, mount, veth, iptables rule, lease) outlives a removed pod.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PodSandboxNetworkIT {

    static final Duration START = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    CniFixtures net;
    CrioProcess crio;
    CriClient client;

    @BeforeAll
    void start() throws Exception {
        net = CniFixtures.random("e2e-net", dir);
        writeConfig(dir, net, net.conflist(CniFixtures.PORTMAP));
        crio = CrioProcess.start(dir, Map.of()).awaitReady(START);
        client = new CriClient(crio.socket());
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            // whatever a failed test left running is torn down, so no namespace, mount or lease outlives the class
            client.removeAllPods();
            client.close();
        }
        if (crio != null) {
            crio.close();
        }
        net.deleteBridge();
    }

    static void writeConfig(Path d, CniFixtures n, String conflist) throws Exception {
        Files.createDirectories(d.resolve("net.d"));
        Files.writeString(d.resolve("net.d/10-e2e.conflist"), conflist);
        Files.writeString(d.resolve("crio.conf"), """
                [crio.runtime]
                namespaces_dir = "%1$s/ns"
                default_sysctls = []
                [crio.network]
                network_dir = "%1$s/net.d"
                plugin_dirs = ["/usr/lib/cni", "%1$s/plugins"]
                """.formatted(d));
    }

    static PodSandboxConfig.Builder pod(String name) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("e2e").setUid("uid-" + name))
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER))));
    }

    static String run(CriClient c, PodSandboxConfig config) {
        return c.runtime().withDeadlineAfter(60, TimeUnit.SECONDS)
                .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
    }

    static PodSandboxStatus status(CriClient c, String id) {
        return c.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus();
    }

    static void stopAndRemove(CriClient c, String id) {
        c.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        c.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    static Path netns(Path d, String id) {
        return d.resolve("ns/netns").resolve(id);
    }

    static List<String> files(Path d) throws Exception {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static List<String> mountsUnder(Path d) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(d.toString())).toList();
    }

    /** Nothing of pod {@code id} is left on the host. */
    static void assertGone(Path d, CniFixtures n, String id) throws Exception {
        for (String kind : List.of("netns", "ipcns", "utsns")) {
            assertFalse(files(d.resolve("ns").resolve(kind)).contains(id), kind + " of " + id);
        }
        assertEquals(List.of(), mountsUnder(d).stream().filter(l -> l.contains(id)).toList());
        assertFalse(Files.exists(d.resolve("runroot/overlay-containers").resolve(id)));
        assertFalse(Files.exists(d.resolve("root/crio/sandboxes").resolve(id + ".json")));
        assertFalse(Files.exists(Path.of("/var/lib/cni/results", n.network() + "-" + id + "-eth0")));
        String iptables = CniFixtures.run("iptables-save") + CniFixtures.run("iptables-save", "-t", "nat");
        assertFalse(iptables.contains(id), "iptables rules of " + id + " remain");
    }

    static ServerSocket listenIn(Path netns, int port) throws Exception {
        return NamespacePinner.runInNamespace(netns, NamespacePinner.NamespaceKind.NET,
                () -> new ServerSocket(port, 50, InetAddress.getByName("0.0.0.0")));
    }

    /** Accepts one connection on {@code server} and answers it with {@code reply}. */
    static Thread answerOnce(ServerSocket server, String reply) {
        return Thread.ofVirtual().start(() -> {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                out.write(reply.getBytes());
            } catch (Exception e) {
                // the test fails on the client side
            }
        });
    }

    static String readFrom(Socket s) throws Exception {
        s.setSoTimeout(10_000);
        try (InputStream in = s.getInputStream()) {
            return new String(in.readAllBytes());
        }
    }

    @Test
    void podsGetAddressesInTheRangeAnswerTheHostAndReachEachOther() throws Exception {
        String a = run(client, pod("net-a").build());
        String b = run(client, pod("net-b").build());
        String ipA = status(client, a).getNetwork().getIp();
        String ipB = status(client, b).getNetwork().getIp();
        assertTrue(ipA.startsWith(net.subnetPrefix() + "."), ipA);
        assertTrue(ipB.startsWith(net.subnetPrefix() + "."), ipB);
        assertNotEquals(ipA, ipB);
        assertEquals(2, net.leases().size());

        try (ServerSocket server = listenIn(netns(dir, a), 8080)) {
            Thread t = answerOnce(server, "hello from a");
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(ipA, 8080), 10_000);
                assertEquals("hello from a", readFrom(s));
            }
            t.join(10_000);
        }
        try (ServerSocket server = listenIn(netns(dir, b), 9090)) {
            Thread t = answerOnce(server, "hello from b");
            // the socket is made (and connected) on a thread inside pod a's network namespace
            try (Socket s = NamespacePinner.runInNamespace(netns(dir, a), NamespacePinner.NamespaceKind.NET, () -> {
                Socket client = new Socket();
                client.connect(new InetSocketAddress(ipB, 9090), 10_000);
                return client;
            })) {
                assertEquals(ipA, s.getLocalAddress().getHostAddress(), "the client really is in pod a");
                assertEquals("hello from b", readFrom(s));
            }
            t.join(10_000);
        }

        stopAndRemove(client, a);
        stopAndRemove(client, b);
        assertGone(dir, net, a);
        assertGone(dir, net, b);
        assertEquals(List.of(), net.leases());
        assertEquals("", net.bridgePorts().strip(), "no veth left on the bridge");
    }

    @Test
    void hostPortsForwardToThePod() throws Exception {
        int hostPort = 30000 + ThreadLocalRandom.current().nextInt(2000);
        String id = run(client, pod("ports").addPortMappings(PortMapping.newBuilder()
                .setProtocol(Protocol.TCP).setContainerPort(8080).setHostPort(hostPort)).build());
        assertTrue((CniFixtures.run("iptables-save", "-t", "nat")).contains(id), "portmap rules name the pod");
        try (ServerSocket server = listenIn(netns(dir, id), 8080)) {
            Thread t = answerOnce(server, "through the host port");
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(net.gateway(), hostPort), 10_000);
                assertEquals("through the host port", readFrom(s));
            }
            t.join(10_000);
        }
        stopAndRemove(client, id);
        assertGone(dir, net, id);
    }

    @Test
    void hostNetworkPodsHaveNoNetworkNamespaceOrAddress() throws Exception {
        String id = run(client, pod("hostnet").setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
                        .setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER)))).build());
        PodSandboxStatus st = status(client, id);
        assertEquals(PodSandboxState.SANDBOX_READY, st.getState());
        assertEquals("", st.getNetwork().getIp());
        assertEquals(NamespaceMode.NODE, st.getLinux().getNamespaces().getOptions().getNetwork());
        assertFalse(Files.exists(netns(dir, id)));
        assertFalse(Files.exists(dir.resolve("ns/utsns").resolve(id)));
        assertTrue(Files.exists(dir.resolve("ns/ipcns").resolve(id)));
        String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        assertEquals(hostname + "\n", Files.readString(dir.resolve("runroot/overlay-containers").resolve(id)
                .resolve("userdata/hostname")));
        stopAndRemove(client, id);
        assertGone(dir, net, id);
    }

    @Test
    void hostnameResolvConfSysctlsAndShmAreAsConfigured() throws Exception {
        String id = run(client, pod("dns").setHostname("web-0")
                .setDnsConfig(DNSConfig.newBuilder().addServers("10.96.0.10").addSearches("ns.svc.cluster.local")
                        .addSearches("cluster.local").addOptions("ndots:5"))
                .putAnnotations("io.kubernetes.cri-o.ShmSize", "16Mi")
                .setLinux(LinuxPodSandboxConfig.newBuilder().putSysctls("net.ipv4.ip_forward", "1")
                        .putSysctls("kernel.shmmni", "1234")
                        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                                NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER)))).build());
        Path userdata = dir.resolve("runroot/overlay-containers").resolve(id).resolve("userdata");
        assertEquals("web-0\n", Files.readString(userdata.resolve("hostname")));
        assertEquals("search ns.svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
                Files.readString(userdata.resolve("resolv.conf")));
        assertEquals("web-0", CniFixtures.run("nsenter", "--uts=" + dir.resolve("ns/utsns").resolve(id), "hostname").strip());
        assertEquals("1", CniFixtures.run("nsenter", "--net=" + netns(dir, id), "cat", "/proc/sys/net/ipv4/ip_forward").strip());
        assertEquals("1234", CniFixtures.run("nsenter", "--ipc=" + dir.resolve("ns/ipcns").resolve(id), "cat",
                "/proc/sys/kernel/shmmni").strip());
        assertNotEquals("1234", Files.readString(Path.of("/proc/sys/kernel/shmmni")).strip(), "the host keeps its value");
        String shm = mountsUnder(dir).stream().filter(l -> l.contains(userdata.resolve("shm").toString())).findFirst()
                .orElseThrow();
        assertTrue(shm.contains("tmpfs") && shm.contains("size=16384k"), shm);

        JsonNode info = JSON.readTree(client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                .setPodSandboxId(id).setVerbose(true).build()).getInfoOrThrow("info"));
        assertEquals("web-0", info.at("/runtimeSpec/hostname").asText());
        assertEquals(id, info.at("/runtimeSpec/annotations/io.kubernetes.cri-o.SandboxID").asText());
        stopAndRemove(client, id);
        assertGone(dir, net, id);
    }

    @Test
    void thePodCgroupIsMadeUnderItsParentAndRemovedWithThePod() throws Exception {
        String parent = "/crio-e2e-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
        Path hierarchy = Stream.of("pids", "memory", "unified").map(h -> Path.of("/sys/fs/cgroup", h))
                .filter(Files::isDirectory).findFirst().orElse(Path.of("/sys/fs/cgroup"));
        String id = run(client, pod("cgroup").setLinux(LinuxPodSandboxConfig.newBuilder().setCgroupParent(parent)
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                        NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER)))).build());
        try {
            assertTrue(Files.isDirectory(hierarchy.resolve(parent.substring(1)).resolve("crio-" + id)),
                    "pod cgroup under " + hierarchy + parent);
            StatusRuntimeException slice = assertThrows(StatusRuntimeException.class, () -> run(client,
                    pod("slice").setLinux(LinuxPodSandboxConfig.newBuilder().setCgroupParent("kubepods.slice")).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, slice.getStatus().getCode(), "a slice needs the systemd manager");
            stopAndRemove(client, id);
            assertFalse(Files.exists(hierarchy.resolve(parent.substring(1)).resolve("crio-" + id)));
        } finally {
            try (Stream<Path> hs = Files.list(Path.of("/sys/fs/cgroup"))) {
                for (Path h : hs.toList()) {
                    Files.deleteIfExists(h.resolve(parent.substring(1)));
                }
            }
        }
    }

    @Test
    void badInputIsRejectedAndCreatesNothing() throws Exception {
        List<String> before = files(dir.resolve("runroot/overlay-containers"));
        List<String> mountsBefore = mountsUnder(dir);
        Map<String, PodSandboxConfig> bad = Map.of(
                "injection with +", pod("bad1").setLinux(LinuxPodSandboxConfig.newBuilder()
                        .putSysctls("net.ipv4.ip_forward", "1+kernel.core_pattern=|/tmp/x")).build(),
                "injection with a newline", pod("bad2").setLinux(LinuxPodSandboxConfig.newBuilder()
                        .putSysctls("net.ipv4.ip_forward", "1\nkernel.core_pattern=x")).build(),
                "a host sysctl", pod("bad3").setLinux(LinuxPodSandboxConfig.newBuilder()
                        .putSysctls("kernel.core_pattern", "x")).build(),
                "a DNS server name", pod("bad4").setDnsConfig(DNSConfig.newBuilder().addServers("not-an-ip")).build(),
                "no metadata", PodSandboxConfig.newBuilder().setHostname("x").build());
        for (Map.Entry<String, PodSandboxConfig> e : bad.entrySet()) {
            StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> run(client, e.getValue()), e.getKey());
            assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode(), e.getKey());
        }
        StatusRuntimeException handler = assertThrows(StatusRuntimeException.class, () -> client.runtime()
                .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod("bad5")).setRuntimeHandler("nope").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, handler.getStatus().getCode());
        assertTrue(handler.getStatus().getDescription().contains("nope"));
        assertEquals(before, files(dir.resolve("runroot/overlay-containers")));
        assertEquals(mountsBefore, mountsUnder(dir));

        String id = run(client, pod("twice").build());
        StatusRuntimeException dup = assertThrows(StatusRuntimeException.class, () -> run(client, pod("twice").build()));
        assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode());
        assertTrue(dup.getStatus().getDescription().contains(id));
        PodSandboxConfig next = pod("twice").setMetadata(pod("twice").getMetadata().toBuilder().setAttempt(1)).build();
        String second = run(client, next);
        assertNotEquals(id, second);
        stopAndRemove(client, id);
        stopAndRemove(client, second);
    }

    @Test
    void listingFiltersAndIdempotentTeardown() throws Exception {
        Instant before = Instant.now();
        String web = run(client, pod("list-web").putLabels("app", "web").putLabels("tier", "fe")
                .putAnnotations("note", "kept as given").build());
        String db = run(client, pod("list-db").putLabels("app", "db").build());
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(db).build());

        PodSandboxStatus st = status(client, web);
        assertEquals(Map.of("app", "web", "tier", "fe"), st.getLabelsMap());
        assertEquals(Map.of("note", "kept as given"), st.getAnnotationsMap());
        assertEquals("runc", st.getRuntimeHandler());
        long created = st.getCreatedAt();
        assertTrue(created >= before.getEpochSecond() * 1_000_000_000L && created <= System.currentTimeMillis() * 1_000_000L + 1,
                "created_at in nanoseconds: " + created);

        assertEquals(List.of(web), ids(PodSandboxFilter.newBuilder().setId(web.substring(0, 10)).build()));
        assertEquals(List.of(web), ids(PodSandboxFilter.newBuilder().putLabelSelector("app", "web").build()));
        assertEquals(List.of(), ids(PodSandboxFilter.newBuilder().putLabelSelector("app", "web")
                .putLabelSelector("tier", "be").build()));
        assertTrue(ids(PodSandboxFilter.newBuilder().setState(PodSandboxStateValue.newBuilder()
                .setState(PodSandboxState.SANDBOX_NOTREADY)).build()).contains(db));
        assertFalse(ids(PodSandboxFilter.newBuilder().setState(PodSandboxStateValue.newBuilder()
                .setState(PodSandboxState.SANDBOX_READY)).build()).contains(db));

        stopAndRemove(client, web);
        stopAndRemove(client, web);
        stopAndRemove(client, db);
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> status(client, web));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        assertGone(dir, net, web);
        assertGone(dir, net, db);
    }

    private List<String> ids(PodSandboxFilter filter) {
        return client.runtime().listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(filter).build())
                .getItemsList().stream().map(PodSandbox::getId).toList();
    }

    @Test
    void networkReadyFollowsTheConfigurationDirectory() throws Exception {
        Path conf = dir.resolve("net.d/10-e2e.conflist");
        String content = Files.readString(conf);
        try {
            assertTrue(awaitNetworkReady(true));
            Files.delete(conf);
            assertTrue(awaitNetworkReady(false));
            RuntimeCondition c = networkCondition();
            assertEquals("NetworkPluginNotReady", c.getReason());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> run(client, pod("no-net").build()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        } finally {
            Files.writeString(conf, content);
        }
        assertTrue(awaitNetworkReady(true));
    }

    private RuntimeCondition networkCondition() {
        return client.runtime().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList().stream()
                .filter(c -> c.getType().equals("NetworkReady")).findFirst().orElseThrow();
    }

    private boolean awaitNetworkReady(boolean wanted) throws Exception {
        for (int i = 0; i < 500; i++) {
            if (networkCondition().getStatus() == wanted) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    @Test
    void aFailingPluginLeavesNothingBehind(@TempDir Path other) throws Exception {
        CniFixtures n = CniFixtures.random("e2e-fail", other);
        Path delLog = other.resolve("del.log");
        CniFixtures.writeFailpoint(other.resolve("plugins"), delLog);
        writeConfig(other, n, n.conflist("{\"type\":\"failpoint\"}"));
        try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> run(cl, pod("fail").build()));
            assertTrue(e.getStatus().getDescription().contains("failpoint ADD"), e.getStatus().toString());
            assertTrue(Files.readString(delLog).contains("DEL "), "the failed ADD was undone with DEL");
            for (String kind : List.of("netns", "ipcns", "utsns")) {
                assertEquals(List.of(), files(other.resolve("ns").resolve(kind)), kind);
            }
            assertEquals(List.of(), mountsUnder(other));
            assertEquals("", n.bridgePorts().strip());
            assertEquals(List.of(), n.leases());
            assertEquals(List.of(), files(other.resolve("runroot/overlay-containers")));
            assertEquals(List.of(), files(other.resolve("root/crio/sandboxes")));

            Files.writeString(other.resolve("net.d/10-e2e.conflist"), n.conflist());
            String id = null;
            for (int i = 0; i < 500 && id == null; i++) {
                try {
                    id = run(cl, pod("fail").build());
                } catch (StatusRuntimeException again) {
                    Thread.sleep(10);
                }
            }
            assertTrue(id != null, "the name was released and the pod runs once the network works");
            stopAndRemove(cl, id);
            assertGone(other, n, id);
        } finally {
            n.deleteBridge();
        }
    }

    @Test
    void aRetryAfterTheDeadlineGetsTheSamePod(@TempDir Path other) throws Exception {
        CniFixtures n = CniFixtures.random("e2e-slow", other);
        Path plugins = Files.createDirectories(other.resolve("plugins"));
        Path slow = plugins.resolve("slowbridge");
        Files.writeString(slow, "#!/bin/sh\n[ \"$CNI_COMMAND\" = ADD ] && sleep 1\nexec /usr/lib/cni/bridge\n");
        slow.toFile().setExecutable(true);
        writeConfig(other, n, n.conflist().replace("\"type\":\"bridge\"", "\"type\":\"slowbridge\""));
        try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
            PodSandboxConfig config = pod("slow").build();
            StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () -> cl.runtime()
                    .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                    .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, late.getStatus().getCode());
            try {
                // kubelet's retry, while the first request still runs or after it finished: the same pod
                String first = run(cl, config);
                List<PodSandbox> pods = cl.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
                assertEquals(List.of(first), pods.stream().map(PodSandbox::getId).toList(), "one pod, not two");
                // a further request is no retry: the name is taken
                StatusRuntimeException dup = assertThrows(StatusRuntimeException.class, () -> run(cl, config));
                assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode());
                stopAndRemove(cl, first);
                assertGone(other, n, first);
            } finally {
                cl.removeAllPods();
            }
        } finally {
            n.deleteBridge();
        }
    }

    @Test
    void aRestartedDaemonKnowsItsPodsAndCanTearThemDown(@TempDir Path other) throws Exception {
        CniFixtures n = CniFixtures.random("e2e-restart", other);
        writeConfig(other, n, n.conflist());
        String id;
        String ip;
        try {
            try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
                id = run(cl, pod("survivor").build());
                ip = status(cl, id).getNetwork().getIp();
                c.signal("TERM");
                assertEquals(0, c.awaitExit(START));
            }
            assertEquals(List.of(ip), n.leases());
            try (CrioProcess c = CrioProcess.start(other, Map.of()).awaitReady(START); CriClient cl = new CriClient(c.socket())) {
                List<PodSandbox> pods = cl.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
                assertEquals(List.of(id), pods.stream().map(PodSandbox::getId).toList());
                assertEquals(PodSandboxState.SANDBOX_READY, pods.get(0).getState());
                assertEquals(ip, status(cl, id).getNetwork().getIp());
                StatusRuntimeException dup = assertThrows(StatusRuntimeException.class, () -> run(cl, pod("survivor").build()));
                assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode(), "the name is still reserved");
                stopAndRemove(cl, id);
            }
            assertEquals(List.of(), n.leases());
            assertGone(other, n, id);
        } finally {
            n.deleteBridge();
        }
    }
}
