package io.crio.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.List;

/**
 * A parsed manifest: either an image manifest (config and layers) or an index (per-platform manifests).
 * The media type comes from the document or, failing that, from the registry's Content-Type.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(int schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
                       List<Descriptor> manifests) {

    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    public Manifest {
        layers = layers == null ? List.of() : List.copyOf(layers);
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
    }

    /** Parses {@code body}; {@code contentType} is used when the document does not name its media type. */
    public static Manifest parse(byte[] body, String contentType) throws ImageException {
        JsonNode tree;
        try {
            tree = JSON.readTree(body);
        } catch (JacksonException e) {
            throw ImageException.invalid("manifest is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ImageException.invalid("manifest cannot be read: " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw ImageException.invalid("manifest is not a JSON object");
        }
        int schema = tree.path("schemaVersion").asInt(0);
        String type = tree.path("mediaType").asText("");
        String ct = contentType == null ? "" : contentType.split(";")[0].strip();
        if (type.isEmpty()) {
            type = ct;
        }
        if (schema == 1 || MediaTypes.isSchema1(type)) {
            throw ImageException.unsupported("Docker image manifest schema 1 is not supported; "
                    + "push the image again with a current client (schema 2 or OCI)");
        }
        if (type.isEmpty()) {
            type = tree.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
        }
        Manifest m;
        try {
            m = JSON.treeToValue(tree, Manifest.class);
        } catch (JacksonException e) {
            throw ImageException.invalid("manifest has an unexpected shape: " + e.getOriginalMessage());
        }
        m = new Manifest(m.schemaVersion(), type, m.config(), m.layers(), m.manifests());
        if (MediaTypes.isImageManifest(type)) {
            if (m.config() == null || m.config().digest() == null) {
                throw ImageException.invalid("image manifest has no config descriptor");
            }
            for (Descriptor d : m.layers()) {
                d.parsedDigest();
            }
            m.config().parsedDigest();
        } else if (!MediaTypes.isIndex(type)) {
            throw ImageException.unsupported("unsupported manifest media type \"" + type + "\"");
        }
        return m;
    }

    public boolean isIndex() {
        return MediaTypes.isIndex(mediaType);
    }
}
