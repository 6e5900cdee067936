package io.crio.cni;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;

/**
 * One CNI network configuration list as loaded from a file: its name, CNI version, the plugins in the
 * order they run, and the raw JSON (handed to plugins unchanged).
 *
 * @param source the file it came from
 * @param pluginTypes each plugin's {@code type}, i.e. the binary that implements it
 */
public record NetworkConfigList(Path source, String name, String cniVersion, List<String> pluginTypes, ObjectNode raw) {

    public NetworkConfigList {
        pluginTypes = List.copyOf(pluginTypes);
    }
}
