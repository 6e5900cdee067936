package io.crio.cni;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.sys.Spawn;
import io.crio.sys.SyscallException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the plugins of a CNI network configuration list for one container, as the CNI specification describes
 * (versions 0.3.0 to 1.0.0): {@code ADD} chains each plugin's result into the next one's {@code prevResult};
 * {@code DEL} runs the plugins in reverse order; {@code CHECK} verifies a previous {@code ADD}.
 *
 * <p>Each successful {@code ADD} is recorded in a result cache, one file per network, container and interface, in
 * the layout the reference CNI library uses ({@code kind: cniCacheV1}), so that other CNI tools can read it and
 * so that {@code DEL} can run with the configuration and arguments of the {@code ADD} even after a restart or
 * after the network configuration was changed or removed.
 */
public final class CniExecutor {

    private static final Logger log = LoggerFactory.getLogger(CniExecutor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final Path DEFAULT_CACHE_DIR = Path.of("/var/lib/cni/results");
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(1);

    static final String CACHE_KIND = "cniCacheV1";
    static final int MAX_STDOUT = 8 << 20;
    static final int MAX_STDERR = 16 << 10;
    private static final String FALLBACK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** How long to wait for a plugin's output streams to close once the plugin has exited. */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(2);

    private final List<Path> pluginDirs;
    private final Path cacheDir;
    private final Duration timeout;

    /**
     * @param pluginDirs where plugin executables are looked up, in order; also passed to plugins as
     *     {@code CNI_PATH}
     * @param cacheDir where ADD results are cached ({@link #DEFAULT_CACHE_DIR} on a real host)
     * @param timeout how long one plugin call may take before it is killed
     */
    public CniExecutor(List<Path> pluginDirs, Path cacheDir, Duration timeout) {
        this.pluginDirs = List.copyOf(pluginDirs);
        this.cacheDir = Objects.requireNonNull(cacheDir);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.timeout = timeout;
    }

    public CniExecutor(List<Path> pluginDirs) {
        this(pluginDirs, DEFAULT_CACHE_DIR, DEFAULT_TIMEOUT);
    }

    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Attaches the container to {@code net}: runs ADD for each plugin in order and caches the final result. When
     * a plugin fails, DEL runs for the whole list (in reverse order, failures only logged) before the error is
     * thrown, so a failed ADD leaves nothing behind.
     */
    public CniResult add(NetworkConfigList net, RuntimeConf rt) throws CniException {
        Objects.requireNonNull(net, "net");
        Path cacheFile = cacheFile(net.name(), rt.containerId(), rt.ifName());
        JsonNode prev = null;
        try {
            for (ObjectNode plugin : net.plugins()) {
                JsonNode out = invoke(net, plugin, "ADD", rt, rt.netnsPath(), prev);
                if (out == null) {
                    throw new CniPluginException(type(plugin), net.name(), "ADD", CniPluginException.NO_CODE,
                            "plugin returned no result", "");
                }
                prev = CniResult.convert(out, net.cniVersion());
            }
            CniResult result = CniResult.parse(prev);
            writeCache(cacheFile, net, rt, prev);
            return result;
        } catch (CniException | RuntimeException e) {
            cleanUpFailedAdd(net, rt, prev);
            throw e;
        }
    }

    private void cleanUpFailedAdd(NetworkConfigList net, RuntimeConf rt, JsonNode partialResult) {
        boolean interrupted = Thread.interrupted();
        try {
            JsonNode prev = CniVersion.parse(net.cniVersion()).passesPrevResultOnDelAndCheck() ? partialResult : null;
            String netns = usableNetns(rt.netnsPath());
            for (ObjectNode plugin : reversed(net.plugins())) {
                try {
                    invoke(net, plugin, "DEL", rt, netns, prev);
                } catch (CniException | RuntimeException e) {
                    log.warn("Cleaning up after a failed CNI ADD of container {} to network {}: {}",
                            rt.containerId(), net.name(), e.getMessage());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Detaches the container from a network: runs DEL for each plugin in reverse order, then removes the cached
     * result. When a cached result exists, the configuration, {@code CNI_ARGS} and capability arguments recorded
     * with it are used (and its namespace path when {@code rt} has none); otherwise {@code net}. With neither,
     * nothing is done. A namespace path that no longer exists is passed as empty, so plugins still release
     * addresses and host rules. Running DEL again after it succeeded is harmless.
     *
     * @param net the network's current configuration, or null when it is not known (e.g. removed)
     * @param networkName the network's name; may be null or empty when {@code net} is given
     */
    public void del(NetworkConfigList net, RuntimeConf rt, String networkName) throws CniException {
        String name = networkName != null && !networkName.isEmpty() ? networkName : net != null ? net.name() : "";
        if (name.isEmpty()) {
            throw new IllegalArgumentException("DEL needs a network name or configuration");
        }
        Path cacheFile = cacheFile(name, rt.containerId(), rt.ifName());
        Optional<CacheEntry> cached = readCache(cacheFile);
        NetworkConfigList conf = net;
        RuntimeConf effective = rt;
        JsonNode cachedResult = null;
        if (cached.isPresent()) {
            CacheEntry c = cached.get();
            if (c.config() != null) {
                conf = c.config();
            }
            effective = new RuntimeConf(rt.containerId(), rt.netnsPath().isEmpty() ? c.netns() : rt.netnsPath(),
                    rt.ifName(), c.args(), c.capabilityArgs());
            cachedResult = c.result();
        }
        if (conf == null) {
            log.debug("No cached result or configuration for network {} of container {}; nothing to delete",
                    name, rt.containerId());
            return;
        }
        JsonNode prev = CniVersion.parse(conf.cniVersion()).passesPrevResultOnDelAndCheck() && cachedResult != null
                ? CniResult.convert(cachedResult, conf.cniVersion())
                : null;
        String netns = usableNetns(effective.netnsPath());
        for (ObjectNode plugin : reversed(conf.plugins())) {
            invoke(conf, plugin, "DEL", effective, netns, prev);
        }
        try {
            Files.deleteIfExists(cacheFile);
        } catch (IOException e) {
            throw new CniException("cannot remove cached CNI result " + cacheFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs CHECK for each plugin in order against the cached result of the container's ADD. Does nothing for
     * configurations older than 0.4.0 (which have no CHECK) or that set {@code disableCheck}.
     *
     * @throws CniException also when there is no cached result to check against
     */
    public void check(NetworkConfigList net, RuntimeConf rt) throws CniException {
        if (!CniVersion.parse(net.cniVersion()).passesPrevResultOnDelAndCheck() || net.checkDisabled()) {
            return;
        }
        Path cacheFile = cacheFile(net.name(), rt.containerId(), rt.ifName());
        JsonNode result = readCache(cacheFile).map(CacheEntry::result).orElse(null);
        if (result == null) {
            throw new CniException("no cached CNI result for network " + net.name() + ", container "
                    + rt.containerId() + ", interface " + rt.ifName());
        }
        JsonNode prev = CniResult.convert(result, net.cniVersion());
        for (ObjectNode plugin : net.plugins()) {
            invoke(net, plugin, "CHECK", rt, rt.netnsPath(), prev);
        }
    }

    /** The cached result of the container's ADD to a network, if there is a readable one. */
    public Optional<CniResult> cachedResult(String networkName, String containerId, String ifName) {
        Path file = cacheFile(networkName, containerId, ifName == null || ifName.isEmpty() ? RuntimeConf.DEFAULT_IF_NAME : ifName);
        Optional<CacheEntry> entry = readCache(file);
        if (entry.isEmpty() || entry.get().result() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(CniResult.parse(entry.get().result()));
        } catch (CniException e) {
            log.warn("Ignoring cached CNI result {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    /** The cache file of a network, container and interface: {@code <cacheDir>/<network>-<container>-<ifName>}. */
    public Path cacheFile(String networkName, String containerId, String ifName) {
        for (String part : List.of(networkName, containerId, ifName)) {
            if (part == null || part.isEmpty() || part.contains("/") || part.indexOf('\0') >= 0 || part.equals(".")
                    || part.equals("..")) {
                throw new IllegalArgumentException("unusable name for a CNI cache file: \"" + part + "\"");
            }
        }
        return cacheDir.resolve(networkName + "-" + containerId + "-" + ifName);
    }

    // ---- plugin invocation ----

    /** The plugin's stdout as JSON when it printed any, else null. */
    private JsonNode invoke(NetworkConfigList net, ObjectNode plugin, String command, RuntimeConf rt, String netns,
            JsonNode prevResult) throws CniException {
        String type = type(plugin);
        Path binary = CniConfigLoader.findPlugin(pluginDirs, type)
                .orElseThrow(() -> new CniPluginException(type, net.name(), command, CniPluginException.NO_CODE,
                        "failed to find plugin \"" + type + "\" in path " + pluginDirs, ""));
        byte[] stdin;
        try {
            stdin = JSON.writeValueAsBytes(pluginConfig(net, plugin, rt, prevResult));
        } catch (JsonProcessingException e) {
            throw new CniPluginException(type, net.name(), command, CniPluginException.NO_CODE,
                    "cannot serialize plugin configuration: " + e.getOriginalMessage(), "");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", rt.containerId());
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", rt.ifName());
        env.put("CNI_ARGS", rt.cniArgs());
        env.put("CNI_PATH", pluginDirs.stream().map(Path::toString).collect(Collectors.joining(":")));
        String path = System.getenv("PATH");
        env.put("PATH", path == null || path.isEmpty() ? FALLBACK_PATH : path);

        log.debug("CNI {} {} (network {}, container {})", command, type, net.name(), rt.containerId());
        Output out;
        try {
            out = run(binary, env, stdin);
        } catch (IOException e) {
            throw new CniPluginException(type, net.name(), command, CniPluginException.NO_CODE,
                    "cannot run " + binary + ": " + e.getMessage(), "");
        }
        if (out.timedOut()) {
            throw new CniPluginException(type, net.name(), command, CniPluginException.NO_CODE,
                    "timed out after " + describe(timeout) + " and was killed" + stderrSuffix(out), "");
        }
        if (out.exitCode() != 0) {
            JsonNode err = parseJson(out.stdout());
            if (err != null && err.isObject() && (err.has("msg") || err.has("code"))) {
                throw new CniPluginException(type, net.name(), command,
                        err.path("code").canConvertToInt() ? err.path("code").asInt() : CniPluginException.NO_CODE,
                        err.path("msg").asText(""), err.path("details").asText(""));
            }
            String stdoutText = new String(out.stdout(), StandardCharsets.UTF_8).strip();
            throw new CniPluginException(type, net.name(), command, CniPluginException.NO_CODE,
                    "exit status " + out.exitCode()
                            + (stdoutText.isEmpty() ? "" : ": " + abbreviate(stdoutText, MAX_STDERR))
                            + stderrSuffix(out),
                    "");
        }
        if (out.stdoutTruncated()) {
            throw new CniPluginException(type, net.name(), command, CniPluginException.NO_CODE,
                    "output larger than " + MAX_STDOUT + " bytes", "");
        }
        if (isBlank(out.stdout())) {
            return null;
        }
        JsonNode result = parseJson(out.stdout());
        if (result == null || !result.isObject()) {
            if ("ADD".equals(command)) {
                throw new CniPluginException(type, net.name(), command, CniPluginException.NO_CODE,
                        "invalid result: " + abbreviate(new String(out.stdout(), StandardCharsets.UTF_8).strip(),
                                512),
                        "");
            }
            return null;
        }
        return result;
    }

    /**
     * The configuration a plugin reads on stdin: its own object plus the list's name and version, the previous
     * result and the capability arguments it declares.
     */
    static ObjectNode pluginConfig(NetworkConfigList net, ObjectNode plugin, RuntimeConf rt, JsonNode prevResult) {
        ObjectNode c = plugin.deepCopy();
        c.put("name", net.name());
        if (!net.cniVersion().isEmpty()) {
            c.put("cniVersion", net.cniVersion());
        }
        if (prevResult != null) {
            c.set("prevResult", prevResult);
        }
        ObjectNode runtimeConfig = JSON.createObjectNode();
        JsonNode caps = plugin.get("capabilities");
        if (caps != null && caps.isObject()) {
            for (Map.Entry<String, JsonNode> cap : caps.properties()) {
                if (cap.getValue().asBoolean(false) && rt.capabilityArgs().containsKey(cap.getKey())) {
                    runtimeConfig.set(cap.getKey(), JSON.valueToTree(rt.capabilityArgs().get(cap.getKey())));
                }
            }
        }
        if (!runtimeConfig.isEmpty()) {
            c.set("runtimeConfig", runtimeConfig);
        }
        return c;
    }

    private record Output(int exitCode, boolean timedOut, byte[] stdout, boolean stdoutTruncated, String stderr) {}

    /**
     * Runs the plugin with posix_spawn(3), its configuration on stdin from a file in memory, its output read on
     * this thread (no helper process or reader threads per plugin call).
     */
    private Output run(Path binary, Map<String, String> env, byte[] stdin) throws IOException {
        Spawn.Finished done;
        int input = -1;
        try {
            input = Spawn.memoryFile("cni-config", stdin);
            done = Spawn.runToEnd(new Spawn.SpawnRequest(binary.toString(), List.of(binary.toString()), env,
                    Map.of(0, input), null, null, null, false), timeout, MAX_STDOUT, MAX_STDERR, OUTPUT_GRACE);
        } catch (SyscallException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            Spawn.close(input);
        }
        return new Output(done.exitCode(), done.timedOut(), done.out(), done.outTruncated(),
                new String(done.err(), StandardCharsets.UTF_8).strip() + (done.errTruncated() ? " [truncated]" : ""));
    }

    // ---- result cache ----

    /** What the cache records about one ADD. {@code config} or {@code result} may be null when unreadable. */
    record CacheEntry(NetworkConfigList config, String netns, List<Map.Entry<String, String>> args,
            Map<String, Object> capabilityArgs, JsonNode result) {}

    private void writeCache(Path file, NetworkConfigList net, RuntimeConf rt, JsonNode result) throws CniException {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("kind", CACHE_KIND);
        doc.put("containerId", rt.containerId());
        doc.put("config", net.bytes());
        doc.put("ifName", rt.ifName());
        doc.put("networkName", net.name());
        if (!rt.netnsPath().isEmpty()) {
            doc.put("netns", rt.netnsPath());
        }
        if (!rt.args().isEmpty()) {
            ArrayNode args = doc.putArray("cniArgs");
            for (Map.Entry<String, String> e : rt.args()) {
                args.addArray().add(e.getKey()).add(e.getValue());
            }
        }
        if (!rt.capabilityArgs().isEmpty()) {
            doc.set("capabilityArgs", JSON.valueToTree(rt.capabilityArgs()));
        }
        doc.set("result", result);
        try {
            writeAtomically(file, JSON.writeValueAsBytes(doc));
        } catch (IOException e) {
            throw new CniException("cannot cache CNI result of network " + net.name() + " in " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private void writeAtomically(Path file, byte[] data) throws IOException {
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            log.debug("Cannot sync directory {}: {}", dir, e.getMessage());
        }
    }

    private Optional<CacheEntry> readCache(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("Cannot read cached CNI result {}: {}", file, e.getMessage());
            return Optional.empty();
        }
        JsonNode doc = parseJson(bytes);
        if (doc == null || !doc.isObject()) {
            log.warn("Ignoring unreadable cached CNI result {}", file);
            return Optional.empty();
        }
        NetworkConfigList config = null;
        JsonNode cfg = doc.get("config");
        if (cfg != null && !cfg.isNull()) {
            try {
                config = CniConfigLoader.parse(cfg.binaryValue(), file, false);
            } catch (IOException | CniConfigException e) {
                log.warn("Ignoring the configuration cached in {}: {}", file, e.getMessage());
            }
        }
        List<Map.Entry<String, String>> args = new ArrayList<>();
        for (JsonNode pair : doc.path("cniArgs")) {
            if (pair.isArray() && pair.size() == 2) {
                args.add(Map.entry(pair.get(0).asText(""), pair.get(1).asText("")));
            }
        }
        Map<String, Object> caps = new LinkedHashMap<>();
        JsonNode capNode = doc.get("capabilityArgs");
        if (capNode != null && capNode.isObject()) {
            for (Map.Entry<String, JsonNode> e : capNode.properties()) {
                Object v = JSON.convertValue(e.getValue(), Object.class);
                if (v != null) {
                    caps.put(e.getKey(), v);
                }
            }
        }
        JsonNode result = doc.get("result");
        return Optional.of(new CacheEntry(config, doc.path("netns").asText(""), args, caps,
                result != null && result.isObject() ? result : null));
    }

    // ---- helpers ----

    /**
     * {@code path} when it names a network namespace, else empty: a path that is gone (or is no longer a mount of
     * a namespace) cannot be entered, and plugins then only release what they hold outside it.
     */
    static String usableNetns(String path) {
        if (path.isEmpty()) {
            return "";
        }
        try {
            Path p = Path.of(path);
            Object dev = Files.getAttribute(p, "unix:dev");
            Path parent = p.getParent();
            if (parent != null && Files.isRegularFile(p) && dev.equals(Files.getAttribute(parent, "unix:dev"))) {
                return "";
            }
            return path;
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException | RuntimeException e) {
            return path;
        }
    }

    private static String type(ObjectNode plugin) {
        return plugin.path("type").asText("");
    }

    private static <T> List<T> reversed(List<T> list) {
        return new ArrayList<>(list).reversed();
    }

    private static JsonNode parseJson(byte[] bytes) {
        if (isBlank(bytes)) {
            return null;
        }
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (!Character.isWhitespace(b)) {
                return false;
            }
        }
        return true;
    }

    private static String stderrSuffix(Output out) {
        return out.stderr().isEmpty() ? "" : " (stderr: " + out.stderr() + ")";
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
