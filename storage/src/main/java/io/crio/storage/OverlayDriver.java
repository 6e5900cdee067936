package io.crio.storage;

import io.crio.sys.PresentFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directories of containers/storage's overlay driver under {@code <graphroot>/overlay}:
 * <pre>
 *   &lt;id&gt;/diff     the layer's files (overlay upper or lower directory)
 *   &lt;id&gt;/link     the layer's short link name, 26 base32 characters, no newline
 *   &lt;id&gt;/lower    "l/&lt;parent link&gt;:l/&lt;grandparent link&gt;:…", nearest parent first (only with a parent)
 *   &lt;id&gt;/work, &lt;id&gt;/merged   overlay's work directory and mount point
 *   &lt;id&gt;/empty    a dummy lower directory (only without a parent)
 *   l/&lt;link&gt;      symlink to ../&lt;id&gt;/diff; short names keep the mount options within a page
 * </pre>
 * Modes follow the driver: layer directory 0700, {@code l} 0755, {@code diff} 0555 for a base layer and the
 * parent's {@code diff} mode otherwise (the layer's own root entry may change it while unpacking).
 */
final class OverlayDriver {

    static final int LINK_ID_LENGTH = 26;
    static final String LINK_DIR = "l";

    private static final Logger log = LoggerFactory.getLogger(OverlayDriver.class);
    private static final Pattern LINK_ID = Pattern.compile("[A-Z2-7]{" + LINK_ID_LENGTH + "}");
    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> DIR_0755 = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> DIR_0555 = PosixFilePermissions.fromString("r-xr-xr-x");
    private static final Set<PosixFilePermission> FILE_0644 = PosixFilePermissions.fromString("rw-r--r--");

    private final Path home;

    OverlayDriver(Path home) {
        this.home = home;
    }

    void init() throws IOException {
        AtomicFiles.createDirectory(home, AtomicFiles.PRIVATE_DIR);
        AtomicFiles.createDirectory(home.resolve(LINK_DIR), DIR_0755);
    }

    Path home() {
        return home;
    }

    Path dir(String id) {
        return home.resolve(Ids.requireHexId("layer ID", id));
    }

    Path diffDir(String id) {
        return dir(id).resolve("diff");
    }

    /**
     * Creates the layer's directories and link; on failure removes what it made. The small {@code link} and
     * {@code lower} files are written in place and not flushed one by one (as containers/storage writes
     * them): nothing reads a layer before its record exists, a pulled layer is flushed as a whole before it
     * is marked complete, and a container's layer does not outlive a crash of the node in any useful way.
     * The home and {@code l/} are made when the store opens (and again if they went missing since).
     */
    void create(String id, String parentId) throws IOException {
        Path dir = dir(id);
        if (Files.exists(dir)) {
            log.warn("Layer directory {} already exists; removing it first", dir);
            remove(id);
        }
        String lower = parentId == null ? null : lowerFor(parentId);
        Set<PosixFilePermission> diffPerms = parentId == null ? DIR_0555
                : Files.getPosixFilePermissions(diffDir(parentId), LinkOption.NOFOLLOW_LINKS);
        Files.createDirectory(dir);
        try {
            Files.setPosixFilePermissions(dir, AtomicFiles.PRIVATE_DIR);
            Path diff = Files.createDirectory(dir.resolve("diff"));
            Files.setPosixFilePermissions(diff, diffPerms);
            String linkId = createLink(id);
            newFile(dir.resolve("link"), linkId);
            newDirectory(dir.resolve("work"));
            newDirectory(dir.resolve("merged"));
            if (lower == null) {
                newDirectory(dir.resolve("empty"));
            } else {
                newFile(dir.resolve("lower"), lower);
            }
        } catch (IOException | RuntimeException e) {
            try {
                remove(id);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** A directory (mode 0700) in a layer directory this driver just made, where nothing else can be yet. */
    private static void newDirectory(Path dir) throws IOException {
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, AtomicFiles.PRIVATE_DIR);
    }

    /**
     * A small file (mode 0644) in a layer directory this driver just made: written in place, since nothing
     * reads the layer before its record exists.
     */
    private static void newFile(Path file, String content) throws IOException {
        Files.write(file, content.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, FILE_0644);
    }

    /** The {@code lower} file content for a child of {@code parentId}. */
    String lowerFor(String parentId) throws IOException {
        Path parentDir = dir(parentId);
        String parentLink = readLink(parentId);
        if (parentLink == null) {
            throw new NoSuchFileException(parentDir.resolve("link").toString(), null, "parent layer has no link file");
        }
        StringBuilder lower = new StringBuilder(LINK_DIR).append('/').append(parentLink);
        // a base layer has no lower file
        String parentLower = PresentFiles.readString(parentDir.resolve("lower"), StandardCharsets.US_ASCII)
                .orElse("").trim();
        if (!parentLower.isEmpty()) {
            lower.append(':').append(parentLower);
        }
        return lower.toString();
    }

    /** The layer's link name, or null when it has none (or a malformed one). */
    String readLink(String id) throws IOException {
        try {
            String link = Files.readString(dir(id).resolve("link"), StandardCharsets.US_ASCII).trim();
            return LINK_ID.matcher(link).matches() ? link : null;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The IDs of the layer directories in the home (names of 64 hex digits; {@code l/} and others are not). */
    List<String> layerIds() throws IOException {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(home)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (Ids.isHexId(name) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    ids.add(name);
                }
            }
        }
        return ids;
    }

    /** Removes the layer's directory and its symlink in {@code l/}; absent parts are fine. */
    void remove(String id) throws IOException {
        String link = readLink(id);
        if (link != null) {
            Path symlink = home.resolve(LINK_DIR).resolve(link);
            if (Files.isSymbolicLink(symlink)) {
                Files.deleteIfExists(symlink);
            }
        }
        deleteTree(dir(id));
    }

    private String createLink(String id) throws IOException {
        Path target = Path.of("..", id, "diff");
        for (int attempt = 0; ; attempt++) {
            String linkId = newLinkId();
            try {
                Files.createSymbolicLink(home.resolve(LINK_DIR).resolve(linkId), target);
                return linkId;
            } catch (NoSuchFileException e) {
                // someone removed l/ (or the home) while the store was open: made again once
                if (attempt > 0) {
                    throw e;
                }
                init();
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /** 26 characters of base32 over random bytes, the driver's link name format. */
    static String newLinkId() {
        byte[] bytes = new byte[(LINK_ID_LENGTH * 5 + 7) / 8];
        RANDOM.nextBytes(bytes);
        StringBuilder s = new StringBuilder(LINK_ID_LENGTH);
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5 && s.length() < LINK_ID_LENGTH) {
                s.append(BASE32[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        return s.toString();
    }

    /** Deletes a directory tree without following symlinks; an absent tree is fine. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null && !(exc instanceof NoSuchFileException)) {
                    throw exc;
                }
                try {
                    Files.deleteIfExists(dir);
                } catch (DirectoryNotEmptyException e) {
                    throw new IOException("cannot remove " + dir + " (is something mounted on it?)", e);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
