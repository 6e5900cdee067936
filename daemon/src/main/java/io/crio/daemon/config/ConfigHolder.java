package io.crio.daemon.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The configuration in force. A reload reads the sources again and takes over only the options that can
 * change while running ({@link #RELOADABLE}); the rest keep the values the daemon started with.
 */
public final class ConfigHolder {

    /** Options applied on reload (SIGHUP), as dotted keys. */
    public static final List<String> RELOADABLE = List.of(
            "crio.runtime.log_level",
            "crio.runtime.log_filter");

    /** A reloadable option whose value changed. */
    public record Change(String key, JsonNode from, JsonNode to) {}

    private final AtomicReference<CrioConfig> current;

    public ConfigHolder(CrioConfig initial) {
        current = new AtomicReference<>(initial);
    }

    public CrioConfig get() {
        return current.get();
    }

    /** Takes the reloadable options from {@code reloaded}; returns what changed. */
    public synchronized List<Change> reload(CrioConfig reloaded) throws ConfigException {
        CrioConfig old = current.get();
        ObjectNode tree = ConfigMapper.TREES.valueToTree(old);
        JsonNode fresh = ConfigMapper.TREES.valueToTree(reloaded);
        List<Change> changes = new ArrayList<>();
        for (String key : RELOADABLE) {
            JsonNode before = ConfigTrees.get(tree, key);
            JsonNode after = ConfigTrees.get(fresh, key);
            if (!before.equals(after)) {
                changes.add(new Change(key, before, after));
                ConfigTrees.set(tree, key, after.deepCopy());
            }
        }
        if (!changes.isEmpty()) {
            try {
                current.set(ConfigMapper.TREES.treeToValue(tree, CrioConfig.class));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new ConfigException("reloaded configuration cannot be applied: " + e.getOriginalMessage(), e);
            }
        }
        return changes;
    }
}
