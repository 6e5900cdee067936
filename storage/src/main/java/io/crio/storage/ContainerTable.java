package io.crio.storage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads and rewrites {@code overlay-containers/containers.json} (the persistent containers; this runtime
 * writes no volatile ones). Callers hold the containers lock.
 */
final class ContainerTable {

    private final Path file;

    ContainerTable(Path graphDir) {
        this.file = graphDir.resolve("containers.json");
    }

    List<ObjectNode> records() throws IOException {
        return StoreJson.readArray(file);
    }

    void write(List<ObjectNode> records) throws IOException {
        StoreJson.writeArray(file, records);
    }

    static Optional<ObjectNode> find(List<ObjectNode> records, String id) {
        if (id == null) {
            return Optional.empty();
        }
        return records.stream().filter(r -> id.equals(StoreJson.text(r, "id"))).findFirst();
    }

    static ObjectNode newRecord(String id, List<String> names, String image, String layer, String metadata,
                                java.time.Instant created) {
        ObjectNode n = StoreJson.NODES.objectNode();
        n.put("id", id);
        StoreJson.putStrings(n, "names", names);
        n.put("image", image);
        n.put("layer", layer);
        if (metadata != null && !metadata.isEmpty()) {
            n.put("metadata", metadata);
        }
        n.put("created", StoreJson.formatTime(created));
        // containers/storage always records the SELinux labels, empty when there are none
        ObjectNode flags = n.putObject("flags");
        flags.put("MountLabel", "");
        flags.put("ProcessLabel", "");
        return n;
    }

    static ContainerRecord toRecord(ObjectNode n) {
        String created = StoreJson.text(n, "created");
        return new ContainerRecord(StoreJson.text(n, "id"), StoreJson.strings(n, "names"),
                nullToEmpty(StoreJson.text(n, "image")), nullToEmpty(StoreJson.text(n, "layer")),
                nullToEmpty(StoreJson.text(n, "metadata")),
                created == null || created.isEmpty() ? java.time.Instant.EPOCH : StoreJson.parseTime(created));
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    static List<ContainerRecord> toRecords(List<ObjectNode> nodes) {
        List<ContainerRecord> out = new ArrayList<>();
        nodes.forEach(n -> out.add(toRecord(n)));
        return out;
    }
}
