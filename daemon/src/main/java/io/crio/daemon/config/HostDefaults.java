package io.crio.daemon.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Defaults that depend on the host. The built-in cgroup manager is {@code systemd}, as CRI-O's; on a host
 * where systemd is not running (no {@code /run/systemd/system}) it cannot work, so {@code cgroupfs} becomes
 * the default there. Explicit settings in files or flags still win.
 */
public final class HostDefaults {

    public static final Path SYSTEMD_RUNTIME_DIR = Path.of("/run/systemd/system");

    private HostDefaults() {}

    /** The host-specific defaults as a configuration source (empty when the built-in ones fit). */
    public static ConfigSource detect(Path systemdRuntimeDir) {
        ObjectNode tree = ConfigMapper.TREES.createObjectNode();
        if (!Files.isDirectory(systemdRuntimeDir)) {
            ConfigTrees.set(tree, "crio.runtime.cgroup_manager", TextNode.valueOf("cgroupfs"));
            return new ConfigSource("host default (systemd is not running, so cgroupfs)", tree);
        }
        return new ConfigSource("host default", tree);
    }
}
