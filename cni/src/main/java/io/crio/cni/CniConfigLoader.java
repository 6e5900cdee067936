package io.crio.cni;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the CNI network to use in a configuration directory, as the CNI libraries do: files ending in
 * {@code .conflist}, {@code .conf} or {@code .json}, in lexical order; a single-plugin {@code .conf} is
 * treated as a list of one. A configuration is usable only when it parses, names itself and every plugin
 * it lists exists as an executable in one of the plugin directories.
 */
public final class CniConfigLoader {

    private static final Logger log = LoggerFactory.getLogger(CniConfigLoader.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path networkDir;
    private final List<Path> pluginDirs;

    public CniConfigLoader(Path networkDir, List<Path> pluginDirs) {
        this.networkDir = networkDir;
        this.pluginDirs = List.copyOf(pluginDirs);
    }

    /** The outcome of looking for the default network: the network, or why there is none. */
    public record Lookup(Optional<NetworkConfigList> network, String problem) {
        static Lookup found(NetworkConfigList n) {
            return new Lookup(Optional.of(n), "");
        }

        static Lookup missing(String problem) {
            return new Lookup(Optional.empty(), problem);
        }
    }

    /**
     * The network named {@code wanted}, or the first usable one when {@code wanted} is empty.
     */
    public Lookup findDefault(String wanted) {
        List<Path> files;
        try {
            files = configFiles();
        } catch (IOException e) {
            return Lookup.missing("cannot read CNI configuration directory " + networkDir + ": " + e.getMessage());
        }
        String lastProblem = "";
        for (Path file : files) {
            try {
                NetworkConfigList list = load(file);
                if (!wanted.isEmpty() && !wanted.equals(list.name())) {
                    continue;
                }
                requirePlugins(list);
                return Lookup.found(list);
            } catch (CniConfigException e) {
                log.debug("Skipping CNI configuration {}: {}", file, e.getMessage());
                lastProblem = e.getMessage();
            }
        }
        if (!wanted.isEmpty()) {
            return Lookup.missing("No valid CNI configuration named \"" + wanted + "\" in " + networkDir
                    + (lastProblem.isEmpty() ? "" : " (last error: " + lastProblem + ")"));
        }
        return Lookup.missing("No CNI configuration file in " + networkDir + ". Has your network provider started?"
                + (lastProblem.isEmpty() ? "" : " (last error: " + lastProblem + ")"));
    }

    /** Configuration files of the directory in lexical order; none when the directory does not exist. */
    List<Path> configFiles() throws IOException {
        try (Stream<Path> s = Files.list(networkDir)) {
            return s.filter(p -> {
                        String n = p.getFileName().toString();
                        return (n.endsWith(".conflist") || n.endsWith(".conf") || n.endsWith(".json"))
                                && Files.isRegularFile(p);
                    })
                    .sorted()
                    .toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    /** Parses one file into a configuration list, checking the fields every configuration must have. */
    public static NetworkConfigList load(Path file) throws CniConfigException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CniConfigException(file + ": " + e.getMessage());
        }
        return parse(bytes, file, file.getFileName().toString().endsWith(".conflist"));
    }

    /**
     * Parses configuration bytes (a list, or a single plugin configuration) that came from {@code source}.
     *
     * @param mustBeList whether the bytes must hold a list with a {@code plugins} array
     */
    public static NetworkConfigList parse(byte[] bytes, Path source, boolean mustBeList) throws CniConfigException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new CniConfigException(source + ": invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CniConfigException(source + ": " + e.getMessage());
        }
        if (!(root instanceof ObjectNode obj)) {
            throw new CniConfigException(source + ": not a JSON object");
        }
        String name = text(obj, "name");
        if (name.isEmpty()) {
            throw new CniConfigException(source + ": no network name");
        }
        String version = text(obj, "cniVersion");
        List<String> types = new ArrayList<>();
        if (mustBeList || obj.has("plugins")) {
            if (!(obj.get("plugins") instanceof ArrayNode plugins) || plugins.isEmpty()) {
                throw new CniConfigException(source + ": no plugins in network " + name);
            }
            for (JsonNode p : plugins) {
                String type = p.path("type").asText("");
                if (!p.isObject() || type.isEmpty()) {
                    throw new CniConfigException(source + ": a plugin of network " + name + " has no type");
                }
                types.add(type);
            }
        } else {
            String type = text(obj, "type");
            if (type.isEmpty()) {
                throw new CniConfigException(source + ": network " + name + " has no plugin type");
            }
            types.add(type);
        }
        return new NetworkConfigList(source, name, version, types, obj, bytes);
    }

    private void requirePlugins(NetworkConfigList list) throws CniConfigException {
        for (String type : list.pluginTypes()) {
            if (findPlugin(type).isEmpty()) {
                throw new CniConfigException("failed to find plugin \"" + type + "\" in path " + pluginDirs
                        + " (network " + list.name() + " in " + list.source() + ")");
            }
        }
    }

    /** The executable implementing plugin {@code type}, from the first plugin directory that has it. */
    public Optional<Path> findPlugin(String type) {
        return findPlugin(pluginDirs, type);
    }

    /**
     * The executable implementing plugin {@code type} in the first of {@code pluginDirs} that has it; a type that
     * is a path rather than a plain name is never found.
     */
    public static Optional<Path> findPlugin(List<Path> pluginDirs, String type) {
        if (type.isEmpty() || type.contains("/") || type.equals("..") || type.equals(".")) {
            return Optional.empty();
        }
        for (Path dir : pluginDirs) {
            Path candidate = dir.resolve(type);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static String text(ObjectNode obj, String field) {
        JsonNode n = obj.get(field);
        return n != null && n.isTextual() ? n.asText() : "";
    }
}
