package io.crio.storage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads and rewrites {@code overlay-containers/containers.json} (the persistent containers; this runtime
 * writes no volatile ones). Callers hold the containers lock. The records are kept in memory and read
 * again only when the lock's last-writer token or the file's size, time or inode changed (another process
 * wrote it), so a create or a lookup does not parse the whole file each time. The records handed out are
 * shared: callers read them and pass changed copies of the list to {@link #write}.
 */
final class ContainerTable {

    private final Path file;
    private List<ObjectNode> cached;
    private byte[] token = new byte[0];
    private StoreJson.FileStamp stamp;

    ContainerTable(Path graphDir) {
        this.file = graphDir.resolve("containers.json");
    }

    /** The records, from memory when nobody changed the file since this process read or wrote it. */
    synchronized List<ObjectNode> records(LockFile.Hold hold) throws IOException {
        byte[] current = hold.token();
        if (cached != null && Arrays.equals(current, token) && StoreJson.FileStamp.of(file).equals(stamp)) {
            return cached;
        }
        StoreJson.FileStamp before = StoreJson.FileStamp.of(file);
        List<ObjectNode> read = List.copyOf(StoreJson.readArray(file));
        cached = read;
        token = current;
        stamp = before;
        return read;
    }

    /** Replaces the file with {@code records} and records the write in the lock (held for writing). */
    synchronized void write(List<ObjectNode> records, LockFile.Hold exclusiveHold) throws IOException {
        cached = null;
        StoreJson.writeArray(file, records);
        written(records, exclusiveHold);
    }

    Path file() {
        return file;
    }

    /** Records that the caller replaced the file with {@code records} (the lock is held for writing). */
    synchronized void written(List<ObjectNode> records, LockFile.Hold exclusiveHold) throws IOException {
        byte[] written = exclusiveHold.recordWrite();
        cached = List.copyOf(records);
        token = written;
        stamp = StoreJson.FileStamp.of(file);
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
