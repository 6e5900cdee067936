package io.crio.daemon.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Builds the effective configuration in CRI-O's order of precedence: built-in defaults, then the main
 * file, then the drop-in directory's {@code *.conf} files in lexical order, then command-line flags.
 * Unknown keys are warnings; a value of the wrong type or outside what is allowed is an error naming the
 * source that set it, the key and what is allowed.
 */
public final class ConfigLoader {

    public static final String BUILT_IN = "built-in default";
    public static final Path DEFAULT_CONFIG_FILE = Path.of("/etc/crio/crio.conf");
    public static final Path DEFAULT_CONFIG_DIR = Path.of("/etc/crio/crio.conf.d");

    /**
     * What to load.
     *
     * @param configFile the main file
     * @param configFileRequired whether a missing main file is an error (it is when named explicitly)
     * @param configDir the drop-in directory; a missing one is skipped
     * @param flags values from the command line, as a tree of the same shape as the TOML
     * @param hostDefaults defaults that depend on the host ({@link HostDefaults}), laid over the built-in
     *     ones before any file
     */
    public record Request(Path configFile, boolean configFileRequired, Path configDir, ObjectNode flags,
                          ConfigSource hostDefaults) {}

    private ConfigLoader() {}

    public static LoadedConfig load(Request request) throws ConfigException {
        List<ConfigSource> sources = new ArrayList<>();
        if (request.hostDefaults() != null && request.hostDefaults().tree().size() > 0) {
            sources.add(request.hostDefaults());
        }
        if (request.configFile() != null) {
            readFile(request.configFile(), request.configFileRequired()).ifPresent(sources::add);
        }
        if (request.configDir() != null) {
            for (Path dropIn : dropIns(request.configDir())) {
                readFile(dropIn, false).ifPresent(sources::add);
            }
        }
        if (request.flags() != null && request.flags().size() > 0) {
            sources.add(new ConfigSource("command line", request.flags()));
        }
        return layer(sources);
    }

    /** Lays the sources over the built-in defaults in order and validates the result. */
    public static LoadedConfig layer(List<ConfigSource> sources) throws ConfigException {
        ObjectNode tree = ConfigMapper.TREES.valueToTree(CrioConfig.defaults());
        List<String> warnings = new ArrayList<>();
        Map<String, String> origins = new LinkedHashMap<>();
        CrioConfig config = CrioConfig.defaults();
        for (ConfigSource source : sources) {
            ConfigSchema.findUnknownKeys(source.tree(), CrioConfig.class, "",
                    key -> warnings.add(source.origin() + ": unknown configuration key " + key + " (ignored)"));
            replaceNamedEntries(tree, source.tree(), origins);
            ConfigTrees.merge(tree, source.tree());
            ConfigTrees.forEachLeaf(source.tree(), (key, value) -> origins.put(key, source.origin()));
            config = convert(tree, source.origin());
        }
        LoadedConfig loaded = new LoadedConfig(config, sources.stream().map(ConfigSource::origin).toList(),
                warnings, origins);
        Problems problems = new Problems();
        config.validate(problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems.all().stream()
                    .map(p -> "invalid configuration in " + loaded.originOf(p.key()) + ": " + p.key() + ": " + p.message())
                    .collect(Collectors.joining("\n")));
        }
        return loaded;
    }

    private static final List<String> NAMED_ENTRY_TABLES = ConfigSchema.namedEntryTables(CrioConfig.class, "");

    /**
     * A source that names an entry of a table like {@code [crio.runtime.runtimes.<name>]} defines that
     * entry whole: keys it leaves out take their empty value rather than the earlier layers' values.
     */
    private static void replaceNamedEntries(ObjectNode tree, ObjectNode source, Map<String, String> origins) {
        for (String path : NAMED_ENTRY_TABLES) {
            if (ConfigTrees.get(source, path) instanceof ObjectNode entries
                    && ConfigTrees.get(tree, path) instanceof ObjectNode existing) {
                entries.fieldNames().forEachRemaining(name -> {
                    existing.remove(name);
                    origins.keySet().removeIf(k -> k.startsWith(path + "." + name + "."));
                });
            }
        }
    }

    private static CrioConfig convert(ObjectNode tree, String origin) throws ConfigException {
        try {
            return ConfigMapper.TREES.treeToValue(tree, CrioConfig.class);
        } catch (DatabindException e) {
            String key = e instanceof JsonMappingException jme ? jme.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[") : "?";
            throw new ConfigException("invalid configuration in " + origin + ": " + key + ": "
                    + describe(e, ConfigTrees.get(tree, key.replaceAll("\\[\\d+]", ""))), e);
        } catch (JacksonException e) {
            throw new ConfigException("invalid configuration in " + origin + ": " + e.getOriginalMessage(), e);
        }
    }

    private static String describe(DatabindException e, JsonNode value) {
        String msg = e.getOriginalMessage();
        String expected = msg.contains("`boolean`") || msg.contains("Boolean") ? "a boolean (true or false)"
                : msg.contains("`int`") || msg.contains("`long`") || msg.contains("Integer") || msg.contains("Long")
                        ? "an integer"
                        : msg.contains("java.util.List") || msg.contains("ArrayList") ? "an array"
                        : msg.contains("java.util.Map") || msg.contains("LinkedHashMap") || msg.contains("record")
                                ? "a table" : msg.contains("String") ? "a string" : null;
        String got = value.isMissingNode() ? "" : "got " + value + ", ";
        return expected != null ? got + "expected " + expected : got + msg;
    }

    private static java.util.Optional<ConfigSource> readFile(Path file, boolean required) throws ConfigException {
        if (!Files.exists(file)) {
            if (required) {
                throw new ConfigException("configuration file " + file + " does not exist");
            }
            return java.util.Optional.empty();
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("configuration file " + file + " is not a regular file");
        }
        try {
            JsonNode tree = ConfigMapper.TOML.readTree(file.toFile());
            if (tree == null || tree.isMissingNode()) {
                return java.util.Optional.of(new ConfigSource(file.toString(), ConfigMapper.TREES.createObjectNode()));
            }
            return java.util.Optional.of(new ConfigSource(file.toString(), (ObjectNode) tree));
        } catch (JacksonException e) {
            throw new ConfigException("invalid configuration in " + file + ": not valid TOML: "
                    + e.getOriginalMessage() + locate(e), e);
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
    }

    private static String locate(JacksonException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
    }

    /** The drop-in files of a directory ({@code *.conf}), in lexical order; none when it does not exist. */
    static List<Path> dropIns(Path dir) throws ConfigException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".conf") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration directory " + dir + ": " + e.getMessage(), e);
        }
    }
}
