package io.crio.storage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A read-only look at containers/storage's container records ({@code overlay-containers/containers.json} in the
 * graph root, and {@code volatile-containers.json} in the graph root or, for a transient store, the run root),
 * to know which images and layers containers still use.
 */
final class ContainerRefs {

    private final Path graphDir;
    private final Path runDir;

    ContainerRefs(Path graphDir, Path runDir) {
        this.graphDir = graphDir;
        this.runDir = runDir;
    }

    Path graphDir() {
        return graphDir;
    }

    /** Writes an empty {@code containers.json} when there is none yet. */
    void ensureFile() throws IOException {
        Path file = graphDir.resolve("containers.json");
        if (Files.exists(file)) {
            return;
        }
        try (LockFile.Hold h = LockFile.of(graphDir.resolve("containers.lock")).exclusive()) {
            if (!Files.exists(file)) {
                StoreJson.writeArray(file, List.of());
                h.recordWrite();
            }
        }
    }

    /** What the containers use, read under the containers' lock(s) for reading. */
    Usage read() throws IOException {
        List<LockFile.Hold> holds = new ArrayList<>();
        try {
            holds.add(LockFile.of(graphDir.resolve("containers.lock")).shared());
            Path runLock = runDir.resolve("containers.lock");
            if (Files.exists(runLock)) {
                holds.add(LockFile.of(runLock).shared());
            }
            Map<String, String> imageUsers = new TreeMap<>();
            Set<String> layers = new TreeSet<>();
            for (Path f : List.of(graphDir.resolve("containers.json"), graphDir.resolve("volatile-containers.json"),
                    runDir.resolve("volatile-containers.json"))) {
                for (ObjectNode c : StoreJson.readArray(f)) {
                    String id = StoreJson.text(c, "id");
                    String image = StoreJson.text(c, "image");
                    String layer = StoreJson.text(c, "layer");
                    if (image != null && !image.isEmpty()) {
                        imageUsers.putIfAbsent(image, id);
                    }
                    if (layer != null && !layer.isEmpty()) {
                        layers.add(layer);
                    }
                }
            }
            return new Usage(imageUsers, layers);
        } finally {
            for (int i = holds.size() - 1; i >= 0; i--) {
                holds.get(i).close();
            }
        }
    }

    /** Image ID → one container using it; the layers containers sit on. */
    record Usage(Map<String, String> imageUsers, Set<String> layers) {}
}
