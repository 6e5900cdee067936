package io.crio.daemon.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What the configuration records say about the TOML layout: the key of each record component and which
 * keys a table knows. Used to warn about unknown keys and to render {@code crio config}.
 */
public final class ConfigSchema {

    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private ConfigSchema() {}

    /** The TOML key of a record component. */
    public static String key(RecordComponent c) {
        JsonProperty explicit = c.getAnnotation(JsonProperty.class);
        if (explicit == null) {
            explicit = c.getAccessor().getAnnotation(JsonProperty.class);
        }
        if (explicit != null && !explicit.value().isEmpty()) {
            return explicit.value();
        }
        return SNAKE.translate(c.getName());
    }

    /** The element type of a {@code Map<String, X>} component, or null when it is not such a map. */
    static Class<?> mapValueType(RecordComponent c) {
        if (!Map.class.isAssignableFrom(c.getType())) {
            return null;
        }
        Type t = c.getGenericType();
        if (t instanceof ParameterizedType pt && pt.getActualTypeArguments()[1] instanceof Class<?> v) {
            return v;
        }
        return Object.class;
    }

    /** Reports, through {@code unknown}, the dotted path of every key in {@code tree} that no record declares. */
    public static void findUnknownKeys(JsonNode tree, Class<?> recordType, String prefix, Consumer<String> unknown) {
        if (!tree.isObject()) {
            return;
        }
        tree.fields().forEachRemaining(e -> {
            String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            RecordComponent c = component(recordType, e.getKey());
            if (c == null) {
                unknown.accept(path);
                return;
            }
            Class<?> valueType = mapValueType(c);
            if (c.getType().isRecord()) {
                findUnknownKeys(e.getValue(), c.getType(), path, unknown);
            } else if (valueType != null && valueType.isRecord() && e.getValue().isObject()) {
                e.getValue().fields().forEachRemaining(entry -> findUnknownKeys(entry.getValue(), valueType,
                        path + "." + entry.getKey(), unknown));
            }
        });
    }

    /**
     * The dotted paths of the tables whose entries are named by the user, such as
     * {@code crio.runtime.runtimes}: a source that names an entry replaces that entry whole, as CRI-O does.
     */
    public static List<String> namedEntryTables(Class<?> recordType, String prefix) {
        List<String> paths = new java.util.ArrayList<>();
        for (RecordComponent c : recordType.getRecordComponents()) {
            String path = prefix.isEmpty() ? key(c) : prefix + "." + key(c);
            Class<?> valueType = mapValueType(c);
            if (valueType != null && valueType.isRecord()) {
                paths.add(path);
            } else if (c.getType().isRecord()) {
                paths.addAll(namedEntryTables(c.getType(), path));
            }
        }
        return paths;
    }

    static RecordComponent component(Class<?> recordType, String key) {
        for (RecordComponent c : recordType.getRecordComponents()) {
            if (key(c).equals(key)) {
                return c;
            }
        }
        return null;
    }

    /** The components of a record, scalars and arrays before tables, each group in declaration order. */
    static List<RecordComponent> orderedComponents(Class<?> recordType) {
        List<RecordComponent> all = List.of(recordType.getRecordComponents());
        return java.util.stream.Stream.concat(
                all.stream().filter(c -> !isTable(c)),
                all.stream().filter(ConfigSchema::isTable)).toList();
    }

    /** Whether a component renders as a TOML table of its own (a nested record or a map of records). */
    static boolean isTable(RecordComponent c) {
        Class<?> v = mapValueType(c);
        return c.getType().isRecord() || (v != null && v.isRecord());
    }
}
