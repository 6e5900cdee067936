package io.crio.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * Whole-file replacement that a crash can never leave half-written: the bytes go to a temporary file in the
 * same directory, which is flushed, renamed over the target, and then the directory itself is flushed.
 */
public final class AtomicFiles {

    public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /** Replaces {@code target} with {@code data} atomically; the file gets mode 0600 like containers/storage's. */
    public static void write(Path target, byte[] data) throws IOException {
        write(target, data, PRIVATE_FILE);
    }

    public static void write(Path target, byte[] data, Set<PosixFilePermission> perms) throws IOException {
        writeFlushed(target, data, perms, true);
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /**
     * Replaces {@code target} atomically with its data flushed to disk (fdatasync) before the rename, but
     * without flushing the directory: containers/storage's atomic writer, used for its JSON stores. A crash
     * of the node can leave the previous version in place, never a torn one; the rename reaches the disk
     * with the file system's next journal commit.
     */
    public static void writeDataFlushed(Path target, byte[] data) throws IOException {
        writeFlushed(target, data, PRIVATE_FILE, false);
    }

    private static void writeFlushed(Path target, byte[] data, Set<PosixFilePermission> perms, boolean metadata)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve(".tmp-" + target.getFileName() + "-" + randomSuffix());
        try {
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(perms))) {
                ByteBuffer buf = ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(metadata);
            }
            // the umask may have narrowed the mode given at creation
            Files.setPosixFilePermissions(tmp, perms);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Replaces {@code target} atomically (temporary file + rename) without flushing to disk: for files under
     * the run root, which lives in memory on real nodes and is rebuilt after a reboot anyway.
     */
    public static void replace(Path target, byte[] data, Set<PosixFilePermission> perms) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve(".tmp-" + target.getFileName() + "-" + randomSuffix());
        try {
            Files.write(tmp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(tmp, perms);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Flushes a directory's entries (a rename or unlink in it) to disk. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Creates {@code dir} (and missing parents) and gives it exactly {@code perms}. */
    public static Path createDirectory(Path dir, Set<PosixFilePermission> perms) throws IOException {
        if (!Files.isDirectory(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                createDirectory(parent, PRIVATE_DIR);
            }
            try {
                Files.createDirectory(dir);
                Files.setPosixFilePermissions(dir, perms);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(dir)) {
                    throw e;
                }
            }
        }
        return dir;
    }

    private static String randomSuffix() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
