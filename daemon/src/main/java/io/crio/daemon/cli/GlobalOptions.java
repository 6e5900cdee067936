package io.crio.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.crio.daemon.cli.CliOption.Kind;
import io.crio.daemon.config.ConfigLoader;
import io.crio.daemon.config.ConfigMapper;
import io.crio.daemon.config.ConfigSource;
import io.crio.daemon.config.ConfigTrees;
import io.crio.daemon.config.HostDefaults;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options operators use most, with CRI-O's names, and the values a command line gave them. Each
 * option but the two that choose the files sets one configuration key and overrides the files; options left
 * out leave the files' values alone.
 */
public final class GlobalOptions {

    static final CliOption CONFIG = new CliOption(List.of("-c", "--config"), "FILE",
            "Path to the configuration file; an empty value reads none.",
            null, Kind.TEXT, ConfigLoader.DEFAULT_CONFIG_FILE.toString());
    static final CliOption CONFIG_DIR = new CliOption(List.of("-d", "--config-dir"), "DIR",
            "Directory of drop-in configuration files (*.conf), read in lexical order after the configuration "
                    + "file; an empty value reads none.",
            null, Kind.TEXT, ConfigLoader.DEFAULT_CONFIG_DIR.toString());
    static final CliOption RUNTIMES = new CliOption(List.of("--runtimes"), "NAME:PATH[:ROOT[:TYPE]]",
            "Adds or changes a runtime handler; may be repeated.", "crio.runtime.runtimes", Kind.REPEATED, null);

    /** Every global option, in the order of the help text. */
    static final List<CliOption> ALL = List.of(
            CONFIG,
            CONFIG_DIR,
            CliOption.text("crio.api.listen", "PATH", "Path of the CRI gRPC unix socket.", "--listen"),
            CliOption.text("crio.runtime.log_level", "LEVEL",
                    "Log level: trace, debug, info, warn, error, fatal or panic.", "-l", "--log-level"),
            CliOption.text("crio.runtime.log_filter", "REGEX", "Only log messages matching this regular expression.",
                    "--log-filter"),
            CliOption.text("crio.root", "DIR", "Storage root directory (graphroot).", "-r", "--root"),
            CliOption.text("crio.runroot", "DIR", "Storage state directory (runroot).", "--runroot"),
            CliOption.text("crio.storage_driver", "DRIVER", "Storage driver.", "-s", "--storage-driver"),
            CliOption.text("crio.runtime.conmon", "PATH", "Path to the conmon binary.", "--conmon"),
            CliOption.text("crio.runtime.conmon_cgroup", "CGROUP",
                    "Cgroup for conmon processes: \"pod\", a slice name, or empty.", "--conmon-cgroup"),
            CliOption.text("crio.runtime.cgroup_manager", "MANAGER", "Cgroup manager: systemd or cgroupfs.",
                    "--cgroup-manager"),
            CliOption.text("crio.runtime.default_runtime", "NAME", "Runtime handler used when a pod names none.",
                    "--default-runtime"),
            RUNTIMES,
            CliOption.text("crio.image.pause_image", "IMAGE", "Image of the infra (pause) container.",
                    "--pause-image"),
            CliOption.text("crio.image.pause_command", "CMD", "Command run in the infra (pause) container.",
                    "--pause-command"),
            CliOption.text("crio.image.global_auth_file", "FILE", "Registry credentials used when a pull has none.",
                    "--global-auth-file"),
            CliOption.text("crio.network.network_dir", "DIR", "CNI configuration directory.", "--cni-config-dir"),
            new CliOption(List.of("--cni-plugin-dir"), "DIR", "CNI plugin binary directory; may be repeated.",
                    "crio.network.plugin_dirs", Kind.REPEATED, null),
            CliOption.text("crio.network.cni_default_network", "NAME", "Name of the CNI network to use.",
                    "--cni-default-network"),
            new CliOption(List.of("--enable-metrics"), "BOOL", "Serve Prometheus metrics.",
                    "crio.metrics.enable_metrics", Kind.BOOLEAN, null),
            new CliOption(List.of("--metrics-port"), "PORT", "Port of the metrics endpoint.",
                    "crio.metrics.metrics_port", Kind.INTEGER, null),
            CliOption.text("crio.metrics.metrics_host", "HOST", "Address of the metrics endpoint.", "--metrics-host"),
            new CliOption(List.of("--pids-limit"), "N", "Default maximum number of processes per container.",
                    "crio.runtime.pids_limit", Kind.INTEGER, null),
            CliOption.text("crio.log_dir", "DIR", "Default directory for container logs.", "--log-dir"),
            CliOption.text("crio.api.stream_address", "ADDR", "Address of the streaming server.", "--stream-address"),
            CliOption.text("crio.api.stream_port", "PORT", "Port of the streaming server (0 picks a free one).",
                    "--stream-port"));

    private final Map<CliOption, List<String>> values = new LinkedHashMap<>();

    /** Records a value of an option (already checked against its kind): repeated ones add, others replace. */
    void set(CliOption option, String value) {
        List<String> list = values.computeIfAbsent(option, o -> new ArrayList<>());
        if (option.kind() != Kind.REPEATED) {
            list.clear();
        }
        list.add(value);
    }

    /** The value given last, or the option's default. */
    String value(CliOption option) {
        List<String> list = values.get(option);
        return list == null || list.isEmpty() ? option.defaultValue() : list.getLast();
    }

    /** What to load, with the flags as the last layer. */
    public ConfigLoader.Request request() {
        String config = value(CONFIG);
        String configDir = value(CONFIG_DIR);
        Path file = config == null || config.isEmpty() ? null : Path.of(config);
        boolean explicit = file != null && !file.equals(ConfigLoader.DEFAULT_CONFIG_FILE);
        Path dir = configDir == null || configDir.isEmpty() ? null : Path.of(configDir);
        return new ConfigLoader.Request(file, explicit, dir, flagTree(), HostDefaults.detect(HostDefaults.SYSTEMD_RUNTIME_DIR));
    }

    /** The host-specific defaults as a list of sources for {@link ConfigLoader#layer}. */
    List<ConfigSource> hostDefaultsSource() {
        ConfigSource host = HostDefaults.detect(HostDefaults.SYSTEMD_RUNTIME_DIR);
        return host.tree().size() == 0 ? List.of() : List.of(host);
    }

    /** The options given, as a tree of the configuration's shape. */
    ObjectNode flagTree() {
        ObjectNode t = ConfigMapper.TREES.createObjectNode();
        values.forEach((option, given) -> {
            if (option.key() == null || given.isEmpty()) {
                return;
            }
            if (option == RUNTIMES) {
                given.forEach(spec -> addRuntime(t, spec));
                return;
            }
            String last = given.getLast();
            JsonNode value = switch (option.kind()) {
                case INTEGER -> IntNode.valueOf(Integer.parseInt(last));
                case BOOLEAN -> BooleanNode.valueOf(Boolean.parseBoolean(last));
                case REPEATED -> {
                    ArrayNode a = t.arrayNode();
                    given.forEach(a::add);
                    yield a;
                }
                default -> TextNode.valueOf(last);
            };
            ConfigTrees.set(t, option.key(), value);
        });
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
}
