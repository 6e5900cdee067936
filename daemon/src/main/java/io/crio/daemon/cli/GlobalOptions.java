package io.crio.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.crio.daemon.config.ConfigLoader;
import io.crio.daemon.config.ConfigMapper;
import io.crio.daemon.config.ConfigSource;
import io.crio.daemon.config.ConfigTrees;
import io.crio.daemon.config.HostDefaults;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The options operators use most, with CRI-O's names. Each sets one configuration key and overrides the
 * files; options left out leave the files' values alone.
 */
public final class GlobalOptions {

    @Option(names = {"-c", "--config"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Path to the configuration file (default: ${DEFAULT-VALUE}); an empty value reads none.",
            defaultValue = "/etc/crio/crio.conf")
    String config;

    @Option(names = {"-d", "--config-dir"}, scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Directory of drop-in configuration files (*.conf), read in lexical order after the "
                    + "configuration file (default: ${DEFAULT-VALUE}); an empty value reads none.",
            defaultValue = "/etc/crio/crio.conf.d")
    String configDir;

    @Option(names = "--listen", scope = ScopeType.INHERIT, paramLabel = "PATH",
            description = "Path of the CRI gRPC unix socket.")
    String listen;

    @Option(names = {"-l", "--log-level"}, scope = ScopeType.INHERIT, paramLabel = "LEVEL",
            description = "Log level: trace, debug, info, warn, error, fatal or panic.")
    String logLevel;

    @Option(names = "--log-filter", scope = ScopeType.INHERIT, paramLabel = "REGEX",
            description = "Only log messages matching this regular expression.")
    String logFilter;

    @Option(names = {"-r", "--root"}, scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Storage root directory (graphroot).")
    String root;

    @Option(names = "--runroot", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Storage state directory (runroot).")
    String runroot;

    @Option(names = {"-s", "--storage-driver"}, scope = ScopeType.INHERIT, paramLabel = "DRIVER",
            description = "Storage driver.")
    String storageDriver;

    @Option(names = "--conmon", scope = ScopeType.INHERIT, paramLabel = "PATH",
            description = "Path to the conmon binary.")
    String conmon;

    @Option(names = "--conmon-cgroup", scope = ScopeType.INHERIT, paramLabel = "CGROUP",
            description = "Cgroup for conmon processes: \"pod\", a slice name, or empty.")
    String conmonCgroup;

    @Option(names = "--cgroup-manager", scope = ScopeType.INHERIT, paramLabel = "MANAGER",
            description = "Cgroup manager: systemd or cgroupfs.")
    String cgroupManager;

    @Option(names = "--default-runtime", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "Runtime handler used when a pod names none.")
    String defaultRuntime;

    @Option(names = "--runtimes", scope = ScopeType.INHERIT, paramLabel = "NAME:PATH[:ROOT[:TYPE]]",
            description = "Adds or changes a runtime handler; may be repeated.")
    List<String> runtimes;

    @Option(names = "--pause-image", scope = ScopeType.INHERIT, paramLabel = "IMAGE",
            description = "Image of the infra (pause) container.")
    String pauseImage;

    @Option(names = "--pause-command", scope = ScopeType.INHERIT, paramLabel = "CMD",
            description = "Command run in the infra (pause) container.")
    String pauseCommand;

    @Option(names = "--global-auth-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Registry credentials used when a pull has none.")
    String globalAuthFile;

    @Option(names = "--cni-config-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "CNI configuration directory.")
    String cniConfigDir;

    @Option(names = "--cni-plugin-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "CNI plugin binary directory; may be repeated.")
    List<String> cniPluginDirs;

    @Option(names = "--cni-default-network", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "Name of the CNI network to use.")
    String cniDefaultNetwork;

    @Option(names = "--enable-metrics", scope = ScopeType.INHERIT, arity = "0..1", fallbackValue = "true",
            paramLabel = "BOOL", description = "Serve Prometheus metrics.")
    Boolean enableMetrics;

    @Option(names = "--metrics-port", scope = ScopeType.INHERIT, paramLabel = "PORT",
            description = "Port of the metrics endpoint.")
    Integer metricsPort;

    @Option(names = "--metrics-host", scope = ScopeType.INHERIT, paramLabel = "HOST",
            description = "Address of the metrics endpoint.")
    String metricsHost;

    @Option(names = "--pids-limit", scope = ScopeType.INHERIT, paramLabel = "N",
            description = "Default maximum number of processes per container.")
    Integer pidsLimit;

    @Option(names = "--log-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Default directory for container logs.")
    String logDir;

    @Option(names = "--stream-address", scope = ScopeType.INHERIT, paramLabel = "ADDR",
            description = "Address of the streaming server.")
    String streamAddress;

    @Option(names = "--stream-port", scope = ScopeType.INHERIT, paramLabel = "PORT",
            description = "Port of the streaming server (0 picks a free one).")
    String streamPort;

    /** What to load, with the flags as the last layer. */
    public ConfigLoader.Request request() {
        Path file = config == null || config.isEmpty() ? null : Path.of(config);
        boolean explicit = file != null && !file.equals(ConfigLoader.DEFAULT_CONFIG_FILE);
        Path dir = configDir == null || configDir.isEmpty() ? null : Path.of(configDir);
        return new ConfigLoader.Request(file, explicit, dir, flagTree(), HostDefaults.detect(HostDefaults.SYSTEMD_RUNTIME_DIR));
    }

    /** The host-specific defaults as a list of sources for {@link ConfigLoader#layer}. */
    java.util.List<ConfigSource> hostDefaultsSource() {
        ConfigSource host = HostDefaults.detect(HostDefaults.SYSTEMD_RUNTIME_DIR);
        return host.tree().size() == 0 ? java.util.List.of() : java.util.List.of(host);
    }

    ObjectNode flagTree() {
        ObjectNode t = ConfigMapper.TREES.createObjectNode();
        put(t, "crio.api.listen", listen);
        put(t, "crio.runtime.log_level", logLevel);
        put(t, "crio.runtime.log_filter", logFilter);
        put(t, "crio.root", root);
        put(t, "crio.runroot", runroot);
        put(t, "crio.storage_driver", storageDriver);
        put(t, "crio.runtime.conmon", conmon);
        put(t, "crio.runtime.conmon_cgroup", conmonCgroup);
        put(t, "crio.runtime.cgroup_manager", cgroupManager);
        put(t, "crio.runtime.default_runtime", defaultRuntime);
        put(t, "crio.image.pause_image", pauseImage);
        put(t, "crio.image.pause_command", pauseCommand);
        put(t, "crio.image.global_auth_file", globalAuthFile);
        put(t, "crio.network.network_dir", cniConfigDir);
        put(t, "crio.network.cni_default_network", cniDefaultNetwork);
        put(t, "crio.metrics.metrics_host", metricsHost);
        put(t, "crio.log_dir", logDir);
        put(t, "crio.api.stream_address", streamAddress);
        put(t, "crio.api.stream_port", streamPort);
        if (cniPluginDirs != null && !cniPluginDirs.isEmpty()) {
            ArrayNode a = t.arrayNode();
            cniPluginDirs.forEach(a::add);
            ConfigTrees.set(t, "crio.network.plugin_dirs", a);
        }
        if (enableMetrics != null) {
            ConfigTrees.set(t, "crio.metrics.enable_metrics", BooleanNode.valueOf(enableMetrics));
        }
        if (metricsPort != null) {
            ConfigTrees.set(t, "crio.metrics.metrics_port", IntNode.valueOf(metricsPort));
        }
        if (pidsLimit != null) {
            ConfigTrees.set(t, "crio.runtime.pids_limit", IntNode.valueOf(pidsLimit));
        }
        if (runtimes != null) {
            for (String spec : runtimes) {
                addRuntime(t, spec);
            }
        }
        return t;
    }

    private static void addRuntime(ObjectNode t, String spec) {
        String[] parts = spec.split(":", -1);
        if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty() || parts.length > 4) {
            throw new IllegalArgumentException("--runtimes takes NAME:PATH[:ROOT[:TYPE]], got \"" + spec + "\"");
        }
        if (!parts[0].matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("--runtimes: handler name \"" + parts[0]
                    + "\" must be a DNS label (lowercase letters, digits and '-')");
        }
        String base = "crio.runtime.runtimes." + parts[0];
        ObjectNode handler = t.objectNode();
        handler.put("runtime_path", parts[1]);
        if (parts.length > 2 && !parts[2].isEmpty()) {
            handler.put("runtime_root", parts[2]);
        }
        if (parts.length > 3 && !parts[3].isEmpty()) {
            handler.put("runtime_type", parts[3]);
        }
        JsonNode existing = ConfigTrees.get(t, base);
        if (existing instanceof ObjectNode o) {
            o.setAll(handler);
        } else {
            ConfigTrees.set(t, base, handler);
        }
    }

    private static void put(ObjectNode t, String key, String value) {
        if (value != null) {
            ConfigTrees.set(t, key, TextNode.valueOf(value));
        }
    }

}
