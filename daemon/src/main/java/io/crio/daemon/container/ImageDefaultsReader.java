package io.crio.daemon.container;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The parts of an image's configuration ({@code config} in the image config JSON) a container starts from. */
final class ImageDefaultsReader {

    private static final PerImage<ContainerSpecInput.ImageDefaults> BY_IMAGE = new PerImage<>();

    private ImageDefaultsReader() {}

    /** The defaults of the stored image {@code imageId}, its configuration read from the store once. */
    static ContainerSpecInput.ImageDefaults forImage(io.crio.storage.ContainersStore storage, String imageId)
            throws IOException {
        var hit = BY_IMAGE.get(imageId);
        if (hit.isPresent()) {
            return hit.get();
        }
        return BY_IMAGE.put(imageId, read(storage.imageConfig(imageId).orElse(null)));
    }

    static ContainerSpecInput.ImageDefaults read(byte[] configJson) throws IOException {
        JsonNode c = configJson == null || configJson.length == 0
                ? ContainerStore.JSON.createObjectNode() : ContainerStore.JSON.readTree(configJson).path("config");
        List<String> volumes = new ArrayList<>();
        c.path("Volumes").fieldNames().forEachRemaining(volumes::add);
        return new ContainerSpecInput.ImageDefaults(strings(c.path("Entrypoint")), strings(c.path("Cmd")),
                strings(c.path("Env")), c.path("WorkingDir").asText(""), c.path("User").asText(""), volumes,
                c.path("StopSignal").asText(""));
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }
}
