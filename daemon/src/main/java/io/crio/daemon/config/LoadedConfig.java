package io.crio.daemon.config;

import java.util.List;
import java.util.Map;

/**
 * The effective configuration, the sources it was built from in order, the warnings loading produced
 * (e.g. unknown keys), and for each key set by a source, which source set it last.
 */
public record LoadedConfig(CrioConfig config, List<String> sources, List<String> warnings, Map<String, String> origins) {

    public LoadedConfig {
        sources = List.copyOf(sources);
        warnings = List.copyOf(warnings);
        origins = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(origins));
    }

    /** Where the value of a dotted key came from: a file, the command line, or the built-in default. */
    public String originOf(String key) {
        String exact = origins.get(key);
        if (exact != null) {
            return exact;
        }
        return origins.entrySet().stream()
                .filter(e -> e.getKey().startsWith(key + ".") || key.startsWith(e.getKey() + "."))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse(ConfigLoader.BUILT_IN);
    }
}
