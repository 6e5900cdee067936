package io.crio.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/** A content descriptor of a manifest, config or layer: media type, digest, size and, in an index, platform. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Descriptor(String mediaType, String digest, long size, Platform platform, Map<String, String> annotations) {

    /** The platform of an index entry. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Platform(String architecture, String os, String variant) {}

    public Digest parsedDigest() {
        return Digest.parse(digest);
    }
}
