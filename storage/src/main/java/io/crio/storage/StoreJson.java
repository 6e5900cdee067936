package io.crio.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Reading and writing containers/storage's JSON files. Records are kept as {@link ObjectNode}s so that fields
 * this store does not know (written by newer or older containers/storage versions) survive a rewrite.
 */
final class StoreJson {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    private StoreJson() {}

    /** The objects of the JSON array in {@code file}; an absent or empty file is an empty list. */
    static List<ObjectNode> readArray(Path file) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new ArrayList<>();
        }
        if (data.length == 0) {
            return new ArrayList<>();
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(data);
        } catch (IOException e) {
            throw new IOException("parsing " + file + ": " + e.getMessage(), e);
        }
        List<ObjectNode> out = new ArrayList<>();
        if (root == null || root.isNull()) {
            return out;
        }
        if (!root.isArray()) {
            throw new IOException("parsing " + file + ": expected a JSON array");
        }
        for (JsonNode n : root) {
            if (!n.isObject()) {
                throw new IOException("parsing " + file + ": expected an array of objects");
            }
            out.add((ObjectNode) n);
        }
        return out;
    }

    /** Replaces {@code file} atomically (data flushed, as containers/storage writes its stores) with the compact JSON array of {@code records}. */
    static void writeArray(Path file, Collection<ObjectNode> records) throws IOException {
        AtomicFiles.writeDataFlushed(file, arrayBytes(records));
    }

    /**
     * Replaces {@code file} atomically with the compact JSON array of {@code records}, without flushing it
     * (run-root files, and records a flushed write follows within the same change).
     */
    static void replaceArray(Path file, Collection<ObjectNode> records) throws IOException {
        AtomicFiles.replace(file, arrayBytes(records), AtomicFiles.PRIVATE_FILE);
    }

    /** The compact JSON array of {@code records}. */
    static byte[] arrayBytes(Collection<ObjectNode> records) throws IOException {
        ArrayNode array = NODES.arrayNode();
        records.forEach(array::add);
        return MAPPER.writeValueAsBytes(array);
    }

    static String text(ObjectNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static long number(ObjectNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? 0 : v.asLong();
    }

    static List<String> strings(ObjectNode n, String field) {
        JsonNode v = n.get(field);
        List<String> out = new ArrayList<>();
        if (v != null && v.isArray()) {
            v.forEach(e -> out.add(e.asText()));
        }
        return out;
    }

    /** Sets an array field, dropping it when empty (Go's omitempty). */
    static void putStrings(ObjectNode n, String field, Collection<String> values) {
        if (values.isEmpty()) {
            n.remove(field);
            return;
        }
        ArrayNode a = n.putArray(field);
        values.forEach(a::add);
    }

    /** Formats like Go's {@code time.Time} JSON encoding (RFC 3339, UTC, nanoseconds without trailing zeros). */
    static String formatTime(Instant t) {
        StringBuilder s = new StringBuilder(SECONDS.format(t.atOffset(ZoneOffset.UTC)));
        int nanos = t.getNano();
        if (nanos != 0) {
            String frac = String.format("%09d", nanos);
            int end = frac.length();
            while (frac.charAt(end - 1) == '0') {
                end--;
            }
            s.append('.').append(frac, 0, end);
        }
        return s.append('Z').toString();
    }

    /** Parses an RFC 3339 time as Go writes it (any offset); null when absent or unreadable. */
    static Instant parseTime(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** What identifies one version of a file cheaply: inode, size and modification time. */
    record FileStamp(Object fileKey, long size, long mtimeNanos) {
        static final FileStamp ABSENT = new FileStamp(null, -1, -1);

        static FileStamp of(Path file) throws IOException {
            if (!Files.exists(file)) {
                return ABSENT;
            }
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                Instant m = a.lastModifiedTime().toInstant();
                return new FileStamp(a.fileKey(), a.size(), m.getEpochSecond() * 1_000_000_000L + m.getNano());
            } catch (NoSuchFileException e) {
                return ABSENT;
            }
        }
    }
}
