package io.crio.e2e.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds one layer tar (PAX format where a header needs it) entry by entry, then compresses and
 * digests it in one pass. Timestamps are fixed so the same fixture always has the same digests.
 *
 * <p>Paths are given as they should appear in the archive ({@code "bin/busybox"}); directories get a
 * trailing slash added. {@link #rawFile} and {@link #rawLink} write names and link targets unchanged
 * (leading {@code /} and {@code ..} included), for the malicious fixtures.
 */
public final class TarLayerBuilder {

    /** Fixture mtime: 2024-01-01T00:00:00Z. */
    public static final Instant MTIME = Instant.parse("2024-01-01T00:00:00Z");

    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    /** Writes an entry's content; {@code size} bytes exactly. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private record Entry(TarArchiveEntry header, Content content) {
    }

    private final List<Entry> entries = new ArrayList<>();

    public static TarLayerBuilder create() {
        return new TarLayerBuilder();
    }

    public TarLayerBuilder dir(String path) {
        return dir(path, 0755, 0, 0);
    }

    public TarLayerBuilder dir(String path, int mode, int uid, int gid) {
        String name = path.endsWith("/") ? path : path + "/";
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR, false);
        e.setMode(S_IFDIR | mode);
        return add(e, uid, gid, 0, null);
    }

    public TarLayerBuilder file(String path, String content) {
        return file(path, content.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0644);
    }

    public TarLayerBuilder file(String path, byte[] content, int mode) {
        return file(path, content, mode, 0, 0);
    }

    public TarLayerBuilder file(String path, byte[] content, int mode, int uid, int gid) {
        TarArchiveEntry e = new TarArchiveEntry(path, TarConstants.LF_NORMAL, false);
        e.setMode(S_IFREG | mode);
        return add(e, uid, gid, content.length, out -> out.write(content));
    }

    /** A regular file of {@code size} deterministic pseudo-random (incompressible) bytes. */
    public TarLayerBuilder randomFile(String path, long size, long seed) {
        TarArchiveEntry e = new TarArchiveEntry(path, TarConstants.LF_NORMAL, false);
        e.setMode(S_IFREG | 0644);
        return add(e, 0, 0, size, out -> writeRandom(out, size, seed));
    }

    public TarLayerBuilder symlink(String path, String target) {
        TarArchiveEntry e = new TarArchiveEntry(path, TarConstants.LF_SYMLINK, false);
        e.setMode(S_IFLNK | 0777);
        e.setLinkName(target);
        return add(e, 0, 0, 0, null);
    }

    /** A hard link {@code path} to {@code target}, an earlier entry's name. */
    public TarLayerBuilder hardlink(String path, String target) {
        TarArchiveEntry e = new TarArchiveEntry(path, TarConstants.LF_LINK, false);
        e.setMode(S_IFREG | 0755);
        e.setLinkName(target);
        return add(e, 0, 0, 0, null);
    }

    /** An AUFS/OCI whiteout: deletes {@code path} from the layers below. */
    public TarLayerBuilder whiteout(String path) {
        int slash = path.lastIndexOf('/');
        String name = slash < 0 ? ".wh." + path : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
        return file(name, new byte[0], 0644);
    }

    /** An opaque-directory marker: hides everything the layers below have under {@code dir}. */
    public TarLayerBuilder opaque(String dir) {
        String d = dir.endsWith("/") ? dir : dir + "/";
        return file(d + ".wh..wh..opq", new byte[0], 0644);
    }

    /** A regular file whose name is written exactly as given (absolute, with {@code ..}, …). */
    public TarLayerBuilder rawFile(String name, byte[] content) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
        e.setMode(S_IFREG | 0644);
        return add(e, 0, 0, content.length, out -> out.write(content));
    }

    /** A symlink or hard link whose name and target are written exactly as given. */
    public TarLayerBuilder rawLink(String name, String target, boolean hard) {
        TarArchiveEntry e = new TarArchiveEntry(name, hard ? TarConstants.LF_LINK : TarConstants.LF_SYMLINK, true);
        e.setMode((hard ? S_IFREG : S_IFLNK) | (hard ? 0644 : 0777));
        e.setLinkName(target);
        return add(e, 0, 0, 0, null);
    }

    private TarLayerBuilder add(TarArchiveEntry e, int uid, int gid, long size, Content content) {
        e.setUserId(uid);
        e.setGroupId(gid);
        if (uid == 0) {
            e.setUserName("root");
        }
        if (gid == 0) {
            e.setGroupName("root");
        }
        e.setModTime(FileTime.from(MTIME));
        e.setSize(size);
        entries.add(new Entry(e, content));
        return this;
    }

    /** Builds the layer in memory. */
    public Layer build(Compression compression) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Written w = write(sink, compression, false);
        byte[] bytes = sink.toByteArray();
        return new Layer(new Blob(w.digest, bytes.length, bytes, null), compression, w.diffId, w.uncompressedSize);
    }

    /** Builds the layer into a new temporary file in {@code dir} (for large layers). */
    public Layer buildToFile(Compression compression, Path dir) throws IOException {
        Path file = Files.createTempFile(dir, "layer-", ".blob");
        Written w;
        try (OutputStream sink = Files.newOutputStream(file)) {
            w = write(new java.io.BufferedOutputStream(sink, 1 << 16), compression, true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return new Layer(new Blob(w.digest, Files.size(file), null, file), compression, w.diffId, w.uncompressedSize);
    }

    private record Written(String digest, String diffId, long uncompressedSize) {
    }

    private Written write(OutputStream sink, Compression compression, boolean fast) throws IOException {
        Digests.DigestingOutputStream compressed = new Digests.DigestingOutputStream(sink);
        OutputStream compressor = compression.wrap(compressed, fast);
        Digests.DigestingOutputStream plain = new Digests.DigestingOutputStream(compressor);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(plain)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (Entry entry : entries) {
                tar.putArchiveEntry(entry.header);
                if (entry.content != null) {
                    entry.content.writeTo(tar);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        } // closes plain → compressor → compressed → sink
        return new Written(compressed.digest(), plain.digest(), plain.count());
    }

    /** Deterministic, incompressible bytes: a SplittableRandom stream from {@code seed}. */
    static void writeRandom(OutputStream out, long size, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] buf = new byte[1 << 16];
        for (long left = size; left > 0; ) {
            int n = (int) Math.min(buf.length, left);
            for (int i = 0; i < n; i += 8) {
                long v = random.nextLong();
                for (int j = 0; j < 8 && i + j < n; j++) {
                    buf[i + j] = (byte) (v >>> (8 * j));
                }
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }
}
