package io.crio.daemon.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BiConsumer;

/** Operations on configuration trees: layering one over another and addressing keys by dotted path. */
public final class ConfigTrees {

    private ConfigTrees() {}

    /**
     * Lays {@code overlay} over {@code base} in place: tables merge key by key, every other value
     * (strings, numbers, arrays) replaces the one below, as TOML decoding onto existing settings does.
     */
    public static void merge(ObjectNode base, ObjectNode overlay) {
        Iterator<Map.Entry<String, JsonNode>> it = overlay.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode below = base.get(e.getKey());
            if (below instanceof ObjectNode belowObj && e.getValue() instanceof ObjectNode overObj) {
                merge(belowObj, overObj);
            } else {
                base.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }

    /** Sets the value at a dotted path such as {@code crio.runtime.log_level}, creating tables on the way. */
    public static void set(ObjectNode root, String dottedPath, JsonNode value) {
        String[] parts = dottedPath.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (!(child instanceof ObjectNode)) {
                child = node.putObject(parts[i]);
            }
            node = (ObjectNode) child;
        }
        node.set(parts[parts.length - 1], value);
    }

    /** The value at a dotted path, or a missing node. */
    public static JsonNode get(JsonNode root, String dottedPath) {
        JsonNode node = root;
        for (String part : dottedPath.split("\\.")) {
            node = node.path(part);
        }
        return node;
    }

    /** Calls {@code visitor} with the dotted path of every non-table value in the tree. */
    public static void forEachLeaf(JsonNode root, BiConsumer<String, JsonNode> visitor) {
        walk(root, "", visitor);
    }

    private static void walk(JsonNode node, String prefix, BiConsumer<String, JsonNode> visitor) {
        if (node instanceof ObjectNode obj && (obj.size() > 0 || prefix.isEmpty())) {
            obj.fields().forEachRemaining(e ->
                    walk(e.getValue(), prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), visitor));
        } else {
            visitor.accept(prefix, node);
        }
    }
}
