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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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
        try (Staged staged = stage(target, data, perms, metadata)) {
            staged.commit();
        }
    }

    /**
     * The first half of {@link #writeDataFlushed}: {@code data} is written to a temporary file beside
     * {@code target} and flushed; {@link Staged#commit} renames it over the target.
     */
    public static Staged stageDataFlushed(Path target, byte[] data) throws IOException {
        return stage(target, data, PRIVATE_FILE, false);
    }

    /**
     * {@link #stageDataFlushed} for several files at once: their data is written and flushed concurrently
     * (on a journaling file system the flushes then share a commit), in the order given by the result.
     * When one fails, the others' temporary files are removed and the first failure is thrown.
     */
    public static List<Staged> stageAllDataFlushed(List<Path> targets, List<byte[]> data) throws IOException {
        if (targets.size() != data.size()) {
            throw new IllegalArgumentException(targets.size() + " targets for " + data.size() + " contents");
        }
        List<Future<Staged>> flushes = new ArrayList<>();
        try (ExecutorService flushers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < targets.size(); i++) {
                Path target = targets.get(i);
                byte[] bytes = data.get(i);
                flushes.add(flushers.submit(() -> stageDataFlushed(target, bytes)));
            }
        }
        List<Staged> staged = new ArrayList<>();
        Throwable failure = null;
        // the executor's close waited for every flush: each one has succeeded or failed
        for (Future<Staged> f : flushes) {
            if (f.state() == Future.State.SUCCESS) {
                staged.add(f.resultNow());
                continue;
            }
            Throwable cause = f.exceptionNow();
            if (failure == null) {
                failure = cause;
            } else {
                failure.addSuppressed(cause);
            }
        }
        if (failure == null) {
            return staged;
        }
        for (Staged st : staged) {
            try {
                st.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        throw new IOException(failure);
    }

    private static Staged stage(Path target, byte[] data, Set<PosixFilePermission> perms, boolean metadata)
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
            return new Staged(tmp, target);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * A replacement whose data waits, flushed, in a temporary file beside its target: {@link #commit} renames
     * it into place; closing an uncommitted one removes the temporary file.
     */
    public static final class Staged implements AutoCloseable {
        private final Path tmp;
        private final Path target;
        private boolean committed;

        private Staged(Path tmp, Path target) {
            this.tmp = tmp;
            this.target = target;
        }

        public Path target() {
            return target;
        }

        public void commit() throws IOException {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                Files.deleteIfExists(tmp);
            }
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
