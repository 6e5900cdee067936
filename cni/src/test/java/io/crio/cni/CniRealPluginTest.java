package io.crio.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADD and DEL with the real bridge, host-local and portmap plugins in a fresh network namespace. */
class CniRealPluginTest {

    private static final Path PLUGIN_DIR = Path.of("/usr/lib/cni");
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

    @TempDir
    Path tmp;

    private record Run(int exit, String out) {}

    private static Run run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static Run ok(String... cmd) throws IOException, InterruptedException {
        Run r = run(cmd);
        assertEquals(0, r.exit(), String.join(" ", cmd) + ": " + r.out());
        return r;
    }

    private static boolean isRoot() {
        try {
            return "0".equals(run("id", "-u").out().strip());
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** iptables lines that CNI plugins would leave behind for this container or as host port chains. */
    private static List<String> cniRules(String containerId) throws IOException, InterruptedException {
        Run r = run("iptables-save");
        if (r.exit() != 0) {
            return List.of();
        }
        return r.out().lines()
                .filter(l -> l.contains(containerId) || l.contains("CNI-HOSTPORT") || l.contains("CNI-DN-"))
                .toList();
    }

    @Test
    void bridgeAndPortmapAddAndDeleteInANetworkNamespace() throws Exception {
        Assumptions.assumeTrue(isRoot() && Files.isExecutable(PLUGIN_DIR.resolve("bridge")),
                "needs root and the CNI plugins in " + PLUGIN_DIR);
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String suffix = HexFormat.of().toHexDigits((short) rnd.nextInt(1 << 16));
        String nsName = "crio-cni-test-" + suffix;
        String bridge = "cnitest" + suffix;
        int octet = rnd.nextInt(1, 255);
        String subnetPrefix = "10.123." + octet + ".";
        String containerId = "cnitest" + Long.toHexString(rnd.nextLong());
        Path dataDir = Files.createDirectories(tmp.resolve("ipam"));
        Path netFile = tmp.resolve("10-test.conflist");
        Files.writeString(netFile, """
                {"cniVersion":"1.0.0","name":"crio-cni-test","plugins":[
                  {"type":"bridge","bridge":"%s","isGateway":true,"ipMasq":false,
                   "ipam":{"type":"host-local","subnet":"%s0/24","dataDir":"%s",
                           "routes":[{"dst":"0.0.0.0/0"}]}},
                  {"type":"portmap","capabilities":{"portMappings":true}}]}
                """.formatted(bridge, subnetPrefix, dataDir));
        NetworkConfigList net = CniConfigLoader.load(netFile);
        Path cacheDir = tmp.resolve("cache");
        CniExecutor executor = new CniExecutor(List.of(PLUGIN_DIR), cacheDir, Duration.ofSeconds(60));

        List<String> rulesBefore = cniRules(containerId);
        String forwardBefore = Files.exists(IP_FORWARD) ? Files.readString(IP_FORWARD).strip() : "";
        String netns = "/var/run/netns/" + nsName;
        ok("ip", "netns", "add", nsName);
        RuntimeConf rt = new RuntimeConf(containerId, netns, "eth0",
                List.of(Map.entry("IgnoreUnknown", "1"), Map.entry("K8S_POD_NAME", "test")),
                Map.of("portMappings", List.of()));
        boolean deleted = false;
        try {
            CniResult result = executor.add(net, rt);
            List<String> ips = result.podIps();
            assertEquals(1, ips.size(), result.raw().toString());
            String ip = ips.get(0);
            assertTrue(ip.startsWith(subnetPrefix), ip);
            assertTrue(ok("ip", "-n", nsName, "addr", "show", "eth0").out().contains(ip + "/24"));
            assertTrue(Files.exists(dataDir.resolve("crio-cni-test").resolve(ip)), "host-local lease");
            Path cacheFile = executor.cacheFile("crio-cni-test", containerId, "eth0");
            assertTrue(Files.exists(cacheFile));
            assertEquals(List.of(ip), executor.cachedResult("crio-cni-test", containerId, "eth0").orElseThrow()
                    .podIps());
            String hostVeths = ok("ip", "-o", "link", "show", "master", bridge).out();
            assertFalse(hostVeths.isBlank(), "a veth is attached to " + bridge);

            executor.check(net, rt);

            executor.del(net, rt, null);
            deleted = true;
            assertNotEquals(0, run("ip", "-n", nsName, "link", "show", "eth0").exit(), "eth0 removed");
            assertTrue(ok("ip", "-o", "link", "show", "master", bridge).out().isBlank(), "host veth removed");
            try (Stream<Path> leases = Files.list(dataDir.resolve("crio-cni-test"))) {
                List<String> left = leases.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith(subnetPrefix)).toList();
                assertEquals(List.of(), left, "host-local leases");
            }
            assertFalse(Files.exists(cacheFile));

            executor.del(net, rt, null);
            assertEquals(rulesBefore, cniRules(containerId));
        } finally {
            if (!deleted) {
                try {
                    executor.del(net, rt, null);
                } catch (CniException e) {
                    System.err.println("cleanup DEL failed: " + e.getMessage());
                }
            }
            run("ip", "netns", "del", nsName);
            run("ip", "link", "del", bridge);
            if (forwardBefore.equals("0")) {
                try {
                    Files.writeString(IP_FORWARD, "0");
                } catch (IOException e) {
                    System.err.println("cannot restore " + IP_FORWARD + ": " + e.getMessage());
                }
            }
        }
        assertNotEquals(0, run("ip", "link", "show", bridge).exit(), "bridge removed");
        assertFalse(ok("ip", "netns", "list").out().contains(nsName), "namespace removed");
    }
}
