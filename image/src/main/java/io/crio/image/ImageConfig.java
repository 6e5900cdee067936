package io.crio.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import java.util.List;
import java.util.Map;

/** The parts of an image's config JSON the runtime uses. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageConfig(String architecture, String os, String variant, String created, Config config, RootFs rootfs) {

    /** The container defaults of an image. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Config(@JsonProperty("User") String user, @JsonProperty("Env") List<String> env,
                         @JsonProperty("Entrypoint") List<String> entrypoint, @JsonProperty("Cmd") List<String> cmd,
                         @JsonProperty("WorkingDir") String workingDir, @JsonProperty("Labels") Map<String, String> labels,
                         @JsonProperty("StopSignal") String stopSignal, @JsonProperty("Volumes") Map<String, Object> volumes) {}

    /** The layers' uncompressed digests, base first. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootFs(String type, @JsonProperty("diff_ids") List<String> diffIds) {}

    public static ImageConfig parse(byte[] json) throws ImageException {
        try {
            ImageConfig c = Manifest.JSON.readValue(json, ImageConfig.class);
            if (c == null || c.rootfs() == null || c.rootfs().diffIds() == null) {
                throw ImageException.invalid("image config has no rootfs.diff_ids");
            }
            for (String d : c.rootfs().diffIds()) {
                Digest.parse(d);
            }
            return c;
        } catch (JacksonException e) {
            throw ImageException.invalid("image config is not valid JSON: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw ImageException.invalid("image config: " + e.getMessage());
        } catch (java.io.IOException e) {
            throw ImageException.invalid("image config cannot be read: " + e.getMessage());
        }
    }

    /** The config's {@code User}, or empty. */
    public String user() {
        return config == null || config.user() == null ? "" : config.user();
    }
}
