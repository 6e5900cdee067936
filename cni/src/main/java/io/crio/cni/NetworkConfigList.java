package io.crio.cni;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One CNI network configuration list as loaded from a file: its name, CNI version, the plugins in the
 * order they run, the parsed JSON and the file's bytes as read (stored in the result cache unchanged).
 *
 * @param source the file it came from
 * @param pluginTypes each plugin's {@code type}, i.e. the binary that implements it
 * @param bytes the configuration exactly as read; {@link #bytes()} returns a copy
 */
public record NetworkConfigList(Path source, String name, String cniVersion, List<String> pluginTypes, ObjectNode raw,
        byte[] bytes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public NetworkConfigList {
        pluginTypes = List.copyOf(pluginTypes);
        cniVersion = cniVersion == null ? "" : cniVersion;
        bytes = bytes == null ? serialize(raw) : bytes.clone();
    }

    /** A configuration built in memory; its bytes are the serialized {@code raw}. */
    public NetworkConfigList(Path source, String name, String cniVersion, List<String> pluginTypes, ObjectNode raw) {
        this(source, name, cniVersion, pluginTypes, raw, null);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * The plugin configurations in execution order. A single-plugin configuration (a {@code .conf} file without
     * a {@code plugins} array) is its own only plugin.
     */
    public List<ObjectNode> plugins() {
        if (raw.get("plugins") instanceof ArrayNode arr) {
            List<ObjectNode> out = new ArrayList<>(arr.size());
            for (JsonNode p : arr) {
                if (p instanceof ObjectNode o) {
                    out.add(o);
                }
            }
            return List.copyOf(out);
        }
        return List.of(raw);
    }

    /** Whether the list asks runtimes not to run CHECK ({@code "disableCheck": true}). */
    public boolean checkDisabled() {
        JsonNode n = raw.get("disableCheck");
        return n != null && (n.asBoolean(false) || "true".equalsIgnoreCase(n.asText()));
    }

    private static byte[] serialize(ObjectNode raw) {
        try {
            return JSON.writeValueAsBytes(raw);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkConfigList n && Objects.equals(source, n.source) && name.equals(n.name)
                && cniVersion.equals(n.cniVersion) && pluginTypes.equals(n.pluginTypes) && raw.equals(n.raw)
                && Arrays.equals(bytes, n.bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, name, cniVersion, pluginTypes, raw, Arrays.hashCode(bytes));
    }

    @Override
    public String toString() {
        return "NetworkConfigList[source=" + source + ", name=" + name + ", cniVersion=" + cniVersion
                + ", pluginTypes=" + pluginTypes + "]";
    }
}
