package io.crio.cni;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CniExecutorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CID = "0123456789abcdef";

    @TempDir
    Path tmp;
    Path binDir;
    Path logDir;
    Path netDir;
    Path cacheDir;
    CniExecutor executor;

    @BeforeEach
    void setUp() throws IOException {
        binDir = Files.createDirectories(tmp.resolve("bin"));
        logDir = Files.createDirectories(tmp.resolve("log"));
        netDir = Files.createDirectories(tmp.resolve("net.d"));
        cacheDir = tmp.resolve("cache").resolve("results");
        executor = new CniExecutor(List.of(tmp.resolve("no-such-bin"), binDir), cacheDir, Duration.ofSeconds(20));
    }

    // ---- fake plugins ----

    /** A plugin that records each call (command, environment, stdin) and then runs {@code body}. */
    private void plugin(String name, String body) throws IOException {
        Path p = binDir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n"
                + "d='" + logDir + "'\n"
                + "t=$(basename \"$0\")\n"
                + "echo \"$CNI_COMMAND $t\" >> \"$d/calls\"\n"
                + "cat > \"$d/$t-$CNI_COMMAND.stdin\"\n"
                + "env > \"$d/$t-$CNI_COMMAND.env\"\n"
                + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A plugin that prints {@code result} on ADD and succeeds on every command. */
    private void resultPlugin(String name, String result) throws IOException {
        plugin(name, "if [ \"$CNI_COMMAND\" = ADD ]; then\ncat <<'EOF'\n" + result + "\nEOF\nfi\nexit 0");
    }

    private static String result(String version, String ip) {
        return "{\"cniVersion\":\"" + version + "\",\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"aa:bb:cc:dd:ee:01\"},"
                + "{\"name\":\"eth0\",\"mac\":\"aa:bb:cc:dd:ee:02\",\"sandbox\":\"/var/run/netns/x\"}],"
                + "\"ips\":[{\"address\":\"" + ip + "/16\",\"gateway\":\"10.88.0.1\",\"interface\":1}],"
                + "\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{\"nameservers\":[\"10.88.0.1\"]}}";
    }

    private List<String> calls() throws IOException {
        Path f = logDir.resolve("calls");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    private JsonNode stdin(String plugin, String command) throws IOException {
        return JSON.readTree(logDir.resolve(plugin + "-" + command + ".stdin").toFile());
    }

    private Map<String, String> env(String plugin, String command) throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(logDir.resolve(plugin + "-" + command + ".env"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    private NetworkConfigList conflist(String version, String... plugins) throws Exception {
        Path f = netDir.resolve("10-test.conflist");
        Files.writeString(f, "{\"cniVersion\":\"" + version + "\",\"name\":\"mynet\",\"plugins\":["
                + String.join(",", plugins) + "]}");
        return CniConfigLoader.load(f);
    }

    private static RuntimeConf rt(String netns) {
        Map<String, Object> caps = new LinkedHashMap<>();
        caps.put("portMappings", List.of(Map.of("hostPort", 8080, "containerPort", 80, "protocol", "tcp",
                "hostIP", "")));
        caps.put("bandwidth", Map.of("ingressRate", 1000, "ingressBurst", 2000, "egressRate", 3000,
                "egressBurst", 4000));
        caps.put("io.kubernetes.cri.pod-annotations", Map.of("a", "b"));
        return new RuntimeConf(CID, netns, "eth0",
                List.of(Map.entry("IgnoreUnknown", "1"), Map.entry("K8S_POD_NAME", "web")), caps);
    }

    // ---- ADD ----

    @Test
    void addChainsResultsAndHandsEachPluginOnlyItsCapabilities() throws Exception {
        resultPlugin("fakebridge", result("1.0.0", "10.88.0.5"));
        resultPlugin("fakeportmap", result("1.0.0", "10.88.0.6"));
        resultPlugin("fakebw", result("1.0.0", "10.88.0.7"));
        NetworkConfigList net = conflist("1.0.0",
                "{\"type\":\"fakebridge\",\"bridge\":\"cni0\"}",
                "{\"type\":\"fakeportmap\",\"capabilities\":{\"portMappings\":true,\"bandwidth\":false}}",
                "{\"type\":\"fakebw\",\"capabilities\":{\"bandwidth\":true}}");

        CniResult r = executor.add(net, rt("/proc/self/ns/net"));

        assertEquals(List.of("ADD fakebridge", "ADD fakeportmap", "ADD fakebw"), calls());
        assertEquals(List.of("10.88.0.7"), r.podIps());

        JsonNode first = stdin("fakebridge", "ADD");
        assertEquals("mynet", first.path("name").asText());
        assertEquals("1.0.0", first.path("cniVersion").asText());
        assertEquals("cni0", first.path("bridge").asText());
        assertFalse(first.has("prevResult"));
        assertFalse(first.has("runtimeConfig"));

        JsonNode second = stdin("fakeportmap", "ADD");
        assertEquals(JSON.readTree(result("1.0.0", "10.88.0.5")), second.get("prevResult"));
        assertEquals(List.of("portMappings"), fieldNames(second.get("runtimeConfig")));
        JsonNode mapping = second.at("/runtimeConfig/portMappings/0");
        assertEquals(8080, mapping.path("hostPort").asInt());
        assertEquals(80, mapping.path("containerPort").asInt());
        assertEquals("tcp", mapping.path("protocol").asText());

        JsonNode third = stdin("fakebw", "ADD");
        assertEquals(JSON.readTree(result("1.0.0", "10.88.0.6")), third.get("prevResult"));
        assertEquals(List.of("bandwidth"), fieldNames(third.get("runtimeConfig")));
        assertEquals(3000, third.at("/runtimeConfig/bandwidth/egressRate").asInt());

        Map<String, String> env = env("fakeportmap", "ADD");
        assertEquals("ADD", env.get("CNI_COMMAND"));
        assertEquals(CID, env.get("CNI_CONTAINERID"));
        assertEquals("/proc/self/ns/net", env.get("CNI_NETNS"));
        assertEquals("eth0", env.get("CNI_IFNAME"));
        assertEquals("IgnoreUnknown=1;K8S_POD_NAME=web", env.get("CNI_ARGS"));
        assertEquals(tmp.resolve("no-such-bin") + ":" + binDir, env.get("CNI_PATH"));
        assertTrue(env.containsKey("PATH"));
    }

    private static List<String> fieldNames(JsonNode n) {
        return n == null ? List.of() : n.properties().stream().map(Map.Entry::getKey).toList();
    }

    @Test
    void addCachesTheResultInTheLibcniLayout() throws Exception {
        resultPlugin("fakebridge", result("1.0.0", "10.88.0.5"));
        NetworkConfigList net = conflist("1.0.0",
                "{\"type\":\"fakebridge\",\"capabilities\":{\"portMappings\":true}}");
        executor.add(net, rt("/var/run/netns/test"));

        Path file = cacheDir.resolve("mynet-" + CID + "-eth0");
        assertEquals(file, executor.cacheFile("mynet", CID, "eth0"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cacheDir)));
        JsonNode doc = JSON.readTree(file.toFile());
        assertEquals("cniCacheV1", doc.path("kind").asText());
        assertEquals(CID, doc.path("containerId").asText());
        assertArrayEquals(Files.readAllBytes(net.source()), Base64.getDecoder().decode(doc.path("config").asText()));
        assertEquals("eth0", doc.path("ifName").asText());
        assertEquals("mynet", doc.path("networkName").asText());
        assertEquals("/var/run/netns/test", doc.path("netns").asText());
        assertEquals(JSON.readTree("[[\"IgnoreUnknown\",\"1\"],[\"K8S_POD_NAME\",\"web\"]]"), doc.get("cniArgs"));
        assertEquals(8080, doc.at("/capabilityArgs/portMappings/0/hostPort").asInt());
        assertEquals(4000, doc.at("/capabilityArgs/bandwidth/egressBurst").asInt());
        assertEquals(JSON.readTree(result("1.0.0", "10.88.0.5")), doc.get("result"));
        try (var s = Files.list(cacheDir)) {
            assertEquals(List.of(file), s.toList(), "no temporary files left");
        }

        CniResult cached = executor.cachedResult("mynet", CID, "eth0").orElseThrow();
        assertEquals(List.of("10.88.0.5"), cached.podIps());
        assertTrue(executor.cachedResult("mynet", CID, "eth1").isEmpty());
        assertTrue(executor.cachedResult("other", CID, "eth0").isEmpty());
    }

    @Test
    void pluginErrorObjectBecomesTheExceptionAndAllPluginsAreDeletedInReverse() throws Exception {
        resultPlugin("fakebridge", result("1.0.0", "10.88.0.5"));
        plugin("fakefail", "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                + "echo '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"no more addresses\","
                + "\"details\":\"range 10.88.0.0/16 is full\"}'\n"
                + "echo 'some log line' >&2\nexit 1\nfi\nexit 0");
        resultPlugin("fakelast", result("1.0.0", "10.88.0.7"));
        NetworkConfigList net = conflist("1.0.0", "{\"type\":\"fakebridge\"}", "{\"type\":\"fakefail\"}",
                "{\"type\":\"fakelast\"}");

        CniPluginException e = assertThrows(CniPluginException.class, () -> executor.add(net, rt("")));

        assertEquals("plugin type=\"fakefail\" name=\"mynet\" failed (add): no more addresses; "
                + "range 10.88.0.0/16 is full", e.getMessage());
        assertEquals(11, e.code());
        assertEquals("fakefail", e.pluginType());
        assertEquals("ADD", e.command());
        assertEquals(List.of("ADD fakebridge", "ADD fakefail", "DEL fakelast", "DEL fakefail", "DEL fakebridge"),
                calls());
        assertEquals(JSON.readTree(result("1.0.0", "10.88.0.5")), stdin("fakefail", "DEL").get("prevResult"),
                "cleanup hands over what the plugins before the failing one produced");
        assertEquals("", env("fakebridge", "DEL").get("CNI_NETNS"));
        assertFalse(Files.exists(executor.cacheFile("mynet", CID, "eth0")));
    }

    @Test
    void stderrIsReportedWhenThePluginPrintsNoErrorObject() throws Exception {
        plugin("fakecrash", "echo 'panic: something broke' >&2\nexit 2");
        NetworkConfigList net = conflist("1.0.0", "{\"type\":\"fakecrash\"}");

        CniPluginException e = assertThrows(CniPluginException.class, () -> executor.add(net, rt("")));

        assertEquals(CniPluginException.NO_CODE, e.code());
        assertTrue(e.getMessage().startsWith("plugin type=\"fakecrash\" name=\"mynet\" failed (add): exit status 2"),
                e.getMessage());
        assertTrue(e.getMessage().contains("panic: something broke"), e.getMessage());
    }

    @Test
    void missingPluginAndInvalidResultFailTheAdd() throws Exception {
        NetworkConfigList missing = conflist("1.0.0", "{\"type\":\"nowhere\"}");
        CniPluginException e = assertThrows(CniPluginException.class, () -> executor.add(missing, rt("")));
        assertTrue(e.getMessage().contains("failed to find plugin \"nowhere\""), e.getMessage());

        plugin("fakegarbage", "echo 'not json'\nexit 0");
        NetworkConfigList garbage = conflist("1.0.0", "{\"type\":\"fakegarbage\"}");
        e = assertThrows(CniPluginException.class, () -> executor.add(garbage, rt("")));
        assertTrue(e.getMessage().contains("invalid result: not json"), e.getMessage());

        plugin("fakesilent", "exit 0");
        NetworkConfigList silent = conflist("1.0.0", "{\"type\":\"fakesilent\"}");
        e = assertThrows(CniPluginException.class, () -> executor.add(silent, rt("")));
        assertTrue(e.getMessage().contains("no result"), e.getMessage());
        assertEquals(List.of("ADD fakegarbage", "DEL fakegarbage", "ADD fakesilent", "DEL fakesilent"), calls());
    }

    @Test
    void aPluginThatHangsIsKilledWithEverythingItStarted() throws Exception {
        Path pidFile = logDir.resolve("sleeper.pid");
        plugin("fakehang", "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                + "sleep 300 &\necho $! > '" + pidFile + "'\nwait\nfi\nexit 0");
        NetworkConfigList net = conflist("1.0.0", "{\"type\":\"fakehang\"}");
        CniExecutor quick = new CniExecutor(List.of(binDir), cacheDir, Duration.ofMillis(700));

        long start = System.nanoTime();
        CniPluginException e = assertThrows(CniPluginException.class, () -> quick.add(net, rt("")));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertTrue(e.getMessage().contains("failed (add): timed out after 700ms"), e.getMessage());
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "child of the plugin killed");
        assertEquals(List.of("ADD fakehang", "DEL fakehang"), calls());
    }

    // ---- DEL ----

    @Test
    void delUsesTheCachedConfigurationAndArgumentsWhenTheConfigurationIsGone() throws Exception {
        resultPlugin("fakebridge", result("1.0.0", "10.88.0.5"));
        resultPlugin("fakeportmap", result("1.0.0", "10.88.0.6"));
        NetworkConfigList net = conflist("1.0.0", "{\"type\":\"fakebridge\"}",
                "{\"type\":\"fakeportmap\",\"capabilities\":{\"portMappings\":true}}");
        executor.add(net, rt("/proc/self/ns/net"));
        Files.delete(net.source());
        Files.delete(logDir.resolve("calls"));

        executor.del(null, new RuntimeConf(CID, ""), "mynet");

        assertEquals(List.of("DEL fakeportmap", "DEL fakebridge"), calls());
        JsonNode del = stdin("fakeportmap", "DEL");
        assertEquals(JSON.readTree(result("1.0.0", "10.88.0.6")), del.get("prevResult"));
        assertEquals(8080, del.at("/runtimeConfig/portMappings/0/hostPort").asInt());
        Map<String, String> env = env("fakeportmap", "DEL");
        assertEquals("IgnoreUnknown=1;K8S_POD_NAME=web", env.get("CNI_ARGS"));
        assertEquals("/proc/self/ns/net", env.get("CNI_NETNS"), "namespace recorded at ADD");
        assertEquals(CID, env.get("CNI_CONTAINERID"));
        assertFalse(Files.exists(executor.cacheFile("mynet", CID, "eth0")));

        executor.del(null, new RuntimeConf(CID, ""), "mynet");
        assertEquals(2, calls().size(), "without cache or configuration there is nothing to run");
    }

    @Test
    void delIsIdempotentAndPassesAnEmptyNamespaceWhenItIsGone() throws Exception {
        resultPlugin("fakebridge", result("1.0.0", "10.88.0.5"));
        NetworkConfigList net = conflist("1.0.0", "{\"type\":\"fakebridge\"}");
        String gone = tmp.resolve("netns-gone").toString();
        executor.add(net, rt(gone));
        assertEquals(gone, env("fakebridge", "ADD").get("CNI_NETNS"));

        executor.del(net, rt(gone), null);
        assertEquals("", env("fakebridge", "DEL").get("CNI_NETNS"));
        assertTrue(stdin("fakebridge", "DEL").has("prevResult"));

        executor.del(net, rt(gone), "mynet");
        assertEquals(List.of("ADD fakebridge", "DEL fakebridge", "DEL fakebridge"), calls());
        assertFalse(stdin("fakebridge", "DEL").has("prevResult"), "no cached result left");
    }

    @Test
    void aFailedDelKeepsTheCacheForTheNextAttempt() throws Exception {
        Path failMarker = logDir.resolve("fail-del");
        plugin("fakeflaky", "if [ \"$CNI_COMMAND\" = ADD ]; then\ncat <<'EOF'\n" + result("1.0.0", "10.88.0.5")
                + "\nEOF\nexit 0\nfi\n"
                + "if [ \"$CNI_COMMAND\" = DEL ] && [ -e '" + failMarker + "' ]; then\n"
                + "echo '{\"cniVersion\":\"1.0.0\",\"code\":999,\"msg\":\"busy\"}'\nexit 1\nfi\nexit 0");
        NetworkConfigList net = conflist("1.0.0", "{\"type\":\"fakeflaky\"}");
        executor.add(net, rt(""));
        Files.createFile(failMarker);

        CniPluginException e = assertThrows(CniPluginException.class, () -> executor.del(net, rt(""), "mynet"));
        assertEquals("plugin type=\"fakeflaky\" name=\"mynet\" failed (del): busy", e.getMessage());
        assertEquals(999, e.code());
        assertTrue(Files.exists(executor.cacheFile("mynet", CID, "eth0")));

        Files.delete(failMarker);
        executor.del(net, rt(""), "mynet");
        assertFalse(Files.exists(executor.cacheFile("mynet", CID, "eth0")));
    }

    @Test
    void olderConfigurationsGetNoPrevResultOnDelAndNoCheck() throws Exception {
        resultPlugin("fakebridge", "{\"cniVersion\":\"0.3.1\",\"ips\":[{\"version\":\"4\","
                + "\"address\":\"10.88.0.5/16\"}]}");
        NetworkConfigList net = conflist("0.3.1", "{\"type\":\"fakebridge\"}");
        executor.add(net, rt(""));
        executor.check(net, rt(""));
        executor.del(net, rt(""), "mynet");

        assertEquals(List.of("ADD fakebridge", "DEL fakebridge"), calls());
        assertFalse(stdin("fakebridge", "DEL").has("prevResult"));
        assertEquals("0.3.1", stdin("fakebridge", "DEL").path("cniVersion").asText());
    }

    @Test
    void checkRunsInOrderAgainstTheCachedResult() throws Exception {
        resultPlugin("fakebridge", result("1.0.0", "10.88.0.5"));
        resultPlugin("fakeportmap", result("1.0.0", "10.88.0.6"));
        NetworkConfigList net = conflist("1.0.0", "{\"type\":\"fakebridge\"}", "{\"type\":\"fakeportmap\"}");

        CniException noCache = assertThrows(CniException.class, () -> executor.check(net, rt("")));
        assertTrue(noCache.getMessage().contains("no cached CNI result"), noCache.getMessage());

        executor.add(net, rt(""));
        executor.check(net, rt(""));
        assertEquals(List.of("ADD fakebridge", "ADD fakeportmap", "CHECK fakebridge", "CHECK fakeportmap"), calls());
        JsonNode cached = JSON.readTree(result("1.0.0", "10.88.0.6"));
        assertEquals(cached, stdin("fakebridge", "CHECK").get("prevResult"));
        assertEquals(cached, stdin("fakeportmap", "CHECK").get("prevResult"));
    }

    @Test
    void checkIsSkippedWhenDisabled() throws Exception {
        resultPlugin("fakebridge", result("1.0.0", "10.88.0.5"));
        Path f = netDir.resolve("10-test.conflist");
        Files.writeString(f, "{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"disableCheck\":true,"
                + "\"plugins\":[{\"type\":\"fakebridge\"}]}");
        NetworkConfigList net = CniConfigLoader.load(f);
        executor.add(net, rt(""));
        executor.check(net, rt(""));
        assertEquals(List.of("ADD fakebridge"), calls());
    }

    @Test
    void singlePluginConfigurationRunsAsAListOfOne() throws Exception {
        resultPlugin("fakebridge", "{\"cniVersion\":\"0.4.0\",\"ips\":[{\"version\":\"4\","
                + "\"address\":\"10.88.0.9/16\"}]}");
        Path f = netDir.resolve("10-single.conf");
        Files.writeString(f, "{\"cniVersion\":\"0.4.0\",\"name\":\"single\",\"type\":\"fakebridge\","
                + "\"bridge\":\"cni9\"}");
        NetworkConfigList net = CniConfigLoader.load(f);
        assertEquals(List.of("10.88.0.9"), executor.add(net, rt("")).podIps());
        JsonNode in = stdin("fakebridge", "ADD");
        assertEquals("single", in.path("name").asText());
        assertEquals("cni9", in.path("bridge").asText());

        Files.delete(f);
        executor.del(null, rt(""), "single");
        assertEquals("single", stdin("fakebridge", "DEL").path("name").asText());
        assertTrue(stdin("fakebridge", "DEL").has("prevResult"));
    }

    @Test
    void cacheFileNamesCannotEscapeTheCacheDirectory() {
        assertThrows(IllegalArgumentException.class, () -> executor.cacheFile("../x", CID, "eth0"));
        assertThrows(IllegalArgumentException.class, () -> executor.cacheFile("net", "a/b", "eth0"));
    }

    @Test
    void prevResultIsConvertedToTheListVersion() throws Exception {
        JsonNode old = JSON.readTree("{\"cniVersion\":\"0.4.0\",\"ips\":[{\"version\":\"6\",\"address\":\"fd00::5/64\"}]}");
        JsonNode v1 = CniResult.convert(old, "1.0.0");
        assertEquals("1.0.0", v1.path("cniVersion").asText());
        assertFalse(v1.at("/ips/0").has("version"));
        JsonNode back = CniResult.convert(v1, "0.3.1");
        assertEquals("6", back.at("/ips/0/version").asText());
        assertEquals("0.3.1", back.path("cniVersion").asText());
        assertEquals(old, CniResult.convert(old, "0.4.0"));
    }
}
