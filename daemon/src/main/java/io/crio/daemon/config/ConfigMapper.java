package io.crio.daemon.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

/** The Jackson mappers for configuration: TOML to trees, trees to records, records to JSON. */
public final class ConfigMapper {

    /** Maps between configuration records and trees; keys are CRI-O's snake_case names. */
    public static final ObjectMapper TREES = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    /** Parses TOML files into trees. */
    public static final TomlMapper TOML = new TomlMapper();

    private ConfigMapper() {}
}
