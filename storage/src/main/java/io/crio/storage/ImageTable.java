package io.crio.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The in-memory copy of containers/storage's image records ({@code overlay-images/images.json}) and the rules
 * for their big-data files ({@code overlay-images/<id>/<file name of the key>}). Not thread-safe:
 * {@link ContainersStore} guards it.
 *
 * <p>containers/storage does not persist an image's digest list: it derives it from the {@code digest} field
 * and the digests of the big-data items whose key starts with {@code manifest}. Digests a caller gives that
 * neither covers are kept in an extra {@code digests} field, which containers/storage ignores.
 */
final class ImageTable {

    static final String MANIFEST_PREFIX = "manifest";
    static final String EXTRA_DIGESTS = "digests";

    private final Path dir;
    private final Path file;
    private final Map<String, ObjectNode> byId = new LinkedHashMap<>();
    private StoreJson.FileStamp stamp;
    private byte[] token = new byte[0];
    private boolean loaded;
    private volatile List<ImageRecord> snapshot;

    ImageTable(Path dir) {
        this.dir = dir;
        this.file = dir.resolve("images.json");
    }

    /** Forgets the in-memory copy, so that the next access reloads it from disk (after a failed change). */
    void invalidate() {
        loaded = false;
        token = new byte[0];
        snapshot = null;
    }

    Path file() {
        return file;
    }

    boolean stale(byte[] currentToken) throws IOException {
        return !loaded || !Arrays.equals(currentToken, token) || !StoreJson.FileStamp.of(file).equals(stamp);
    }

    void load(byte[] currentToken) throws IOException {
        StoreJson.FileStamp freshStamp = StoreJson.FileStamp.of(file);
        List<ObjectNode> records = StoreJson.readArray(file);
        Map<String, ObjectNode> fresh = new LinkedHashMap<>();
        Map<String, ObjectNode> owners = new LinkedHashMap<>();
        for (ObjectNode n : records) {
            String id = StoreJson.text(n, "id");
            if (id == null || id.isEmpty() || fresh.containsKey(id)) {
                continue;
            }
            // a name held twice stays with the later image, as containers/storage resolves it
            for (String name : StoreJson.strings(n, "names")) {
                ObjectNode previous = owners.put(name, n);
                if (previous != null) {
                    List<String> kept = StoreJson.strings(previous, "names");
                    kept.remove(name);
                    StoreJson.putStrings(previous, "names", kept);
                }
            }
            fresh.put(id, n);
        }
        byId.clear();
        byId.putAll(fresh);
        stamp = freshStamp;
        token = currentToken;
        loaded = true;
        snapshot = null;
    }

    void save(LockFile.Hold exclusiveHold) throws IOException {
        StoreJson.writeArray(file, byId.values());
        token = exclusiveHold.recordWrite();
        stamp = StoreJson.FileStamp.of(file);
        snapshot = null;
    }

    ObjectNode get(String id) {
        return byId.get(id);
    }

    Collection<ObjectNode> records() {
        return byId.values();
    }

    void put(ObjectNode record) {
        byId.put(StoreJson.text(record, "id"), record);
        snapshot = null;
    }

    ObjectNode remove(String id) {
        snapshot = null;
        return byId.remove(id);
    }

    /** Marks the cached record views out of date after an in-place change. */
    void changed() {
        snapshot = null;
    }

    /** The image holding {@code name}, if any. */
    ObjectNode byName(String name) {
        for (ObjectNode n : byId.values()) {
            if (StoreJson.strings(n, "names").contains(name)) {
                return n;
            }
        }
        return null;
    }

    List<ImageRecord> snapshot() {
        if (snapshot == null) {
            List<ImageRecord> out = new ArrayList<>(byId.size());
            for (ObjectNode n : byId.values()) {
                out.add(record(n));
            }
            snapshot = List.copyOf(out);
        }
        return snapshot;
    }

    static ImageRecord record(ObjectNode n) {
        List<String> digests = digests(n);
        String digest = StoreJson.text(n, "digest");
        if ((digest == null || digest.isEmpty()) && !digests.isEmpty()) {
            digest = digests.get(0);
        }
        Instant created = StoreJson.parseTime(StoreJson.text(n, "created"));
        String layer = StoreJson.text(n, "layer");
        return new ImageRecord(StoreJson.text(n, "id"), List.copyOf(StoreJson.strings(n, "names")),
                digest == null || digest.isEmpty() ? null : digest, List.copyOf(digests),
                layer == null || layer.isEmpty() ? null : layer, created == null ? Instant.EPOCH : created,
                List.copyOf(StoreJson.strings(n, "big-data-names")));
    }

    /** The image's digests as containers/storage computes them, plus the extra ones we keep. */
    static List<String> digests(ObjectNode n) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        String digest = StoreJson.text(n, "digest");
        if (digest != null && !digest.isEmpty()) {
            out.add(digest);
        }
        if (n.get("big-data-digests") instanceof ObjectNode bd) {
            for (String key : StoreJson.strings(n, "big-data-names")) {
                JsonNode d = bd.get(key);
                if (key.startsWith(MANIFEST_PREFIX) && d != null && !d.asText().isEmpty()) {
                    out.add(d.asText());
                }
            }
            // items missing from big-data-names still count, as in containers/storage
            bd.properties().forEach(e -> {
                if (e.getKey().startsWith(MANIFEST_PREFIX) && !e.getValue().asText().isEmpty()) {
                    out.add(e.getValue().asText());
                }
            });
        }
        out.addAll(StoreJson.strings(n, EXTRA_DIGESTS));
        return new ArrayList<>(out);
    }

    /** Where the big-data item {@code key} of image {@code id} is stored. */
    Path bigDataPath(String id, String key) {
        return dataDir(id).resolve(bigDataFileName(key));
    }

    Path dataDir(String id) {
        return dir.resolve(Ids.requireHexId("image ID", id));
    }

    /**
     * containers/storage's file name for a big-data key: the key itself when it consists only of
     * {@code [.0-9a-z]}, otherwise {@code "="} followed by the standard base64 of the key.
     */
    static String bigDataFileName(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("big-data key must not be empty");
        }
        boolean plain = true;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c != '.' && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z')) {
                plain = false;
                break;
            }
        }
        if (plain) {
            if (key.chars().allMatch(c -> c == '.')) {
                throw new IllegalArgumentException("big-data key must not be made of dots only: " + key);
            }
            return key;
        }
        return "=" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    /** Puts each of {@code names} at the front of the record's name history, without duplicates. */
    static void addToHistory(ObjectNode n, List<String> names) {
        List<String> history = StoreJson.strings(n, "names-history");
        for (String name : names) {
            history.remove(name);
            history.add(0, name);
        }
        StoreJson.putStrings(n, "names-history", history);
    }

    /** Drops the empty big-data fields, as Go's omitempty does. */
    static void tidy(ObjectNode n) {
        for (String field : List.of("big-data-names", "big-data-sizes", "big-data-digests", "names", "names-history")) {
            JsonNode v = n.get(field);
            if (v != null && v.isContainerNode() && v.isEmpty()) {
                n.remove(field);
            }
        }
    }

    /** A new record as containers/storage writes one, in its field order. */
    static ObjectNode newRecord(String id, String topLayer, Instant created) {
        ObjectNode n = StoreJson.NODES.objectNode();
        n.put("id", id);
        if (topLayer != null) {
            n.put("layer", topLayer);
        }
        n.putArray("big-data-names");
        n.putObject("big-data-sizes");
        n.putObject("big-data-digests");
        n.put("created", StoreJson.formatTime(created));
        return n;
    }

    /** The names of records other than {@code except} that hold any of {@code names}. */
    List<ObjectNode> holdersOf(Set<String> names, String except) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode n : byId.values()) {
            if (!StoreJson.text(n, "id").equals(except)
                    && StoreJson.strings(n, "names").stream().anyMatch(names::contains)) {
                out.add(n);
            }
        }
        return out;
    }

    /** Sets the names field, keeping it after "digest" where containers/storage has it. */
    static void putNames(ObjectNode rec, List<String> names) {
        if (names.isEmpty()) {
            rec.remove("names");
            return;
        }
        if (rec.has("names")) {
            StoreJson.putStrings(rec, "names", names);
            return;
        }
        ObjectNode copy = rec.deepCopy();
        rec.removeAll();
        copy.properties().forEach(e -> {
            rec.set(e.getKey(), e.getValue());
            if (e.getKey().equals(copy.has("digest") ? "digest" : "id")) {
                StoreJson.putStrings(rec, "names", names);
            }
        });
    }

    /** Sets {@code field} right after {@code after} (or last), to keep the field order containers/storage writes. */
    static void insertAfter(ObjectNode rec, String after, String field, String value) {
        ObjectNode copy = rec.deepCopy();
        rec.removeAll();
        copy.properties().forEach(e -> {
            rec.set(e.getKey(), e.getValue());
            if (e.getKey().equals(after)) {
                rec.put(field, value);
            }
        });
        if (!rec.has(field)) {
            rec.put(field, value);
        }
    }
}
