package io.crio.daemon.config;

import java.util.ArrayList;
import java.util.List;

/** The {@code [crio.network]} table: where CNI configuration and plugins are found. */
@Doc("The crio.network table holds the settings for pod networking through CNI plugins.")
public record NetworkSection(
        @Doc({"Name of the CNI network to use for pods. When empty, the first configuration",
              "found in network_dir (in lexical order of file names) is used."})
        String cniDefaultNetwork,
        @Doc("Directory searched for CNI network configurations (.conflist, .conf, .json).")
        String networkDir,
        @Doc("Directories searched, in order, for CNI plugin binaries.")
        List<String> pluginDirs,
        @Doc({"Deprecated single plugin directory: when set, it is searched after plugin_dirs.",
              "Empty adds nothing."})
        String pluginDir,
        @Doc({"Keep checking the CNI plugin's health and report the node's network as not ready",
              "only after it has failed for this long (e.g. \"1m\"). \"0s\" checks only at start."})
        @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = DurationText.class)
        String cniStatusGracePeriod) {

    public NetworkSection {
        cniDefaultNetwork = Records.str(cniDefaultNetwork);
        networkDir = Records.str(networkDir);
        pluginDirs = Records.list(pluginDirs);
        pluginDir = Records.str(pluginDir);
        cniStatusGracePeriod = Records.str(cniStatusGracePeriod);
    }

    public static NetworkSection defaults() {
        return new NetworkSection("", "/etc/cni/net.d/", List.of("/opt/cni/bin/", "/usr/lib/cni/"), "", "0s");
    }

    /** The plugin directories to search, in order: plugin_dirs, then the deprecated plugin_dir if set. */
    public List<String> effectivePluginDirs() {
        if (pluginDir.isEmpty()) {
            return pluginDirs;
        }
        List<String> all = new ArrayList<>(pluginDirs);
        all.add(pluginDir);
        return List.copyOf(all);
    }

    void validate(Problems problems) {
        if (networkDir.isBlank()) {
            problems.add("crio.network.network_dir", "must not be empty");
        }
        if (!Durations.isValidTomlDuration(cniStatusGracePeriod)) {
            problems.add("crio.network.cni_status_grace_period", "invalid duration \"" + cniStatusGracePeriod
                    + "\", allowed: \"0s\" (off) or a positive duration such as \"1m\"");
        } else if (Durations.tomlDurationNanos(cniStatusGracePeriod) < 0) {
            problems.add("crio.network.cni_status_grace_period", "invalid duration \"" + cniStatusGracePeriod
                    + "\", allowed: \"0s\" (off) or a positive duration such as \"1m\"");
        }
    }
}
