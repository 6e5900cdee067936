package io.crio.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The in-memory copy of containers/storage's layer records. They live in {@code overlay-layers/layers.json}
 * in the graph root; newer containers/storage versions put volatile (container) layers in
 * {@code volatile-layers.json} next to it, or in the run root with a transient store. All of them are read;
 * each record is written back to the file it came from, and new records go to {@code layers.json}.
 * Not thread-safe: {@link ContainersStore} guards it.
 */
final class LayerTable {

    static final String INCOMPLETE = "incomplete";

    private final List<Path> files;
    private final Map<String, Entry> byId = new LinkedHashMap<>();
    private final StoreJson.FileStamp[] stamps;
    private byte[] token = new byte[0];
    private boolean loaded;

    /** One record and the index of the file it belongs to. */
    static final class Entry {
        final ObjectNode node;
        final int file;

        Entry(ObjectNode node, int file) {
            this.node = node;
            this.file = file;
        }

        String id() {
            return StoreJson.text(node, "id");
        }

        String parent() {
            String p = StoreJson.text(node, "parent");
            return p == null || p.isEmpty() ? null : p;
        }

        boolean incomplete() {
            JsonNode flags = node.get("flags");
            return flags != null && flags.path(INCOMPLETE).asBoolean(false);
        }

        void setIncomplete(boolean incomplete) {
            if (incomplete) {
                ObjectNode flags = node.get("flags") instanceof ObjectNode f ? f : node.putObject("flags");
                flags.put(INCOMPLETE, true);
            } else if (node.get("flags") instanceof ObjectNode f) {
                f.remove(INCOMPLETE);
                if (f.isEmpty()) {
                    node.remove("flags");
                }
            }
        }

        LayerInfo info() {
            Instant created = StoreJson.parseTime(StoreJson.text(node, "created"));
            return new LayerInfo(id(), parent(), StoreJson.text(node, "diff-digest"), StoreJson.number(node, "diff-size"),
                    StoreJson.text(node, "compressed-diff-digest"), StoreJson.number(node, "compressed-size"),
                    created == null ? Instant.EPOCH : created);
        }
    }

    /**
     * @param files the JSON files in the order they are read; the first one receives new records
     */
    LayerTable(List<Path> files) {
        this.files = List.copyOf(files);
        this.stamps = new StoreJson.FileStamp[files.size()];
    }

    /** Forgets the in-memory copy, so that the next access reloads it from disk (after a failed change). */
    void invalidate() {
        loaded = false;
        token = new byte[0];
    }

    Path primaryFile() {
        return files.get(0);
    }

    /** True when the files changed since this copy was loaded or saved (token from the lock file, or stat). */
    boolean stale(byte[] currentToken) throws IOException {
        if (!loaded || !Arrays.equals(currentToken, token)) {
            return true;
        }
        for (int i = 0; i < files.size(); i++) {
            if (!StoreJson.FileStamp.of(files.get(i)).equals(stamps[i])) {
                return true;
            }
        }
        return false;
    }

    void load(byte[] currentToken) throws IOException {
        Map<String, Entry> fresh = new LinkedHashMap<>();
        StoreJson.FileStamp[] freshStamps = new StoreJson.FileStamp[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            freshStamps[i] = StoreJson.FileStamp.of(f);
            for (ObjectNode n : StoreJson.readArray(f)) {
                String id = StoreJson.text(n, "id");
                if (id == null || id.isEmpty() || fresh.containsKey(id)) {
                    continue; // containers/storage skips duplicates across files too
                }
                fresh.put(id, new Entry(n, i));
            }
        }
        byId.clear();
        byId.putAll(fresh);
        System.arraycopy(freshStamps, 0, stamps, 0, stamps.length);
        token = currentToken;
        loaded = true;
    }

    /**
     * Writes the files holding records of {@code changedFiles} (indexes) and records the write in the lock.
     */
    void save(Set<Integer> changedFiles, LockFile.Hold exclusiveHold) throws IOException {
        for (Map.Entry<Path, Collection<ObjectNode>> f : changedRecords(changedFiles).entrySet()) {
            StoreJson.writeArray(f.getKey(), f.getValue());
        }
        written(exclusiveHold);
    }

    /** The records of each changed file, by file: what {@link #save} writes, for a caller writing them itself. */
    Map<Path, Collection<ObjectNode>> changedRecords(Set<Integer> changedFiles) {
        Map<Path, Collection<ObjectNode>> out = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            if (!changedFiles.contains(i)) {
                continue;
            }
            List<ObjectNode> records = new ArrayList<>();
            for (Entry e : byId.values()) {
                if (e.file == i) {
                    records.add(e.node);
                }
            }
            out.put(files.get(i), records);
        }
        return out;
    }

    /** Marks the files as written by this process: the lock's writer token and the files' stamps. */
    void written(LockFile.Hold exclusiveHold) throws IOException {
        token = exclusiveHold.recordWrite();
        for (int i = 0; i < files.size(); i++) {
            stamps[i] = StoreJson.FileStamp.of(files.get(i));
        }
    }

    Entry get(String id) {
        return byId.get(id);
    }

    Collection<Entry> entries() {
        return byId.values();
    }

    /** Adds a new record to the primary file. */
    Entry add(ObjectNode node) {
        Entry e = new Entry(node, 0);
        byId.put(e.id(), e);
        return e;
    }

    Entry remove(String id) {
        return byId.remove(id);
    }

    /** True when some record names {@code id} as its parent. */
    boolean hasChildren(String id, Set<String> ignoring) {
        for (Entry e : byId.values()) {
            if (id.equals(e.parent()) && !ignoring.contains(e.id())) {
                return true;
            }
        }
        return false;
    }

    /** A new record as containers/storage writes one, in its field order. */
    static ObjectNode newRecord(String id, String parent, Instant created) {
        return newRecord(id, List.of(), parent, created);
    }

    /** A new record with names (containers/storage names a container's layer after the container). */
    static ObjectNode newRecord(String id, List<String> names, String parent, Instant created) {
        ObjectNode n = StoreJson.NODES.objectNode();
        n.put("id", id);
        if (!names.isEmpty()) {
            StoreJson.putStrings(n, "names", names);
        }
        if (parent != null) {
            n.put("parent", parent);
        }
        n.put("created", StoreJson.formatTime(created));
        return n;
    }
}
