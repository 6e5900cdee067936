package io.crio.e2e.registry;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Content addressed by its sha256: held in memory ({@code bytes}) or in a temporary file ({@code file},
 * for large layers). {@code digest} and {@code size} are those of exactly the bytes pushed.
 */
public record Blob(String digest, long size, byte[] bytes, Path file) {

    public Blob {
        Objects.requireNonNull(digest, "digest");
        if ((bytes == null) == (file == null)) {
            throw new IllegalArgumentException("a blob is either in memory or in a file");
        }
    }

    public static Blob of(byte[] bytes) {
        return new Blob(Digests.of(bytes), bytes.length, bytes, null);
    }

    public static Blob ofFile(Path file) throws IOException {
        return new Blob(Digests.of(file), Files.size(file), null, file);
    }

    public InputStream open() throws IOException {
        return bytes != null ? new ByteArrayInputStream(bytes) : Files.newInputStream(file);
    }

    /** The content as bytes (reads the file for file-backed blobs; meant for small ones). */
    public byte[] readAllBytes() throws IOException {
        return bytes != null ? bytes : Files.readAllBytes(file);
    }

    /** Deletes the backing file, if any. */
    public void discard() throws IOException {
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Blob b && b.digest.equals(digest) && b.size == size;
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "Blob[" + digest + ", " + size + " bytes" + (file != null ? ", " + file : "") + "]";
    }
}
