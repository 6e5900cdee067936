package io.crio.storage.unpack;

import io.crio.sys.FileCalls;
import io.crio.sys.SyscallException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One run of {@link LayerUnpacker#unpack}: the walker, the copy buffers and the deferred directories. */
final class Unpacking implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Unpacking.class);

    static final String WHITEOUT_PREFIX = ".wh.";
    static final String WHITEOUT_META_PREFIX = ".wh..wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";
    static final String OPAQUE_XATTR = "trusted.overlay.opaque";

    private static final int BUFFER_SIZE = 256 * 1024;
    private static final int NEW_FILE_FLAGS = FileCalls.O_WRONLY | FileCalls.O_CREAT | FileCalls.O_EXCL
            | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC;
    /** Directories are writable by their owner until the end, whatever their final mode. */
    private static final int NEW_DIR_MODE = 0700;

    private enum Kind { DIRECTORY, FILE, HARDLINK, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO }

    private final DirWalker walker;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment nativeBuffer = arena.allocate(BUFFER_SIZE);
    private final byte[] buffer = new byte[BUFFER_SIZE];
    /** Directory metadata applied at the end, by path relative to the root ("" is the root). */
    private final TreeMap<String, EntryMeta> directories = new TreeMap<>();
    private long entries;
    private long bytes;

    Unpacking(Path root) {
        this.walker = new DirWalker(root);
    }

    UnpackStats run(InputStream in) throws IOException {
        RawPaxTarInputStream tar = new RawPaxTarInputStream(in); // not closed: the caller owns `in`
        TarArchiveEntry e;
        while ((e = next(tar)) != null) {
            try {
                apply(tar, e);
            } catch (SyscallException x) {
                throw failed(e.getName(), x);
            }
            entries++;
        }
        finishDirectories();
        in.transferTo(OutputStream.nullOutputStream());
        return new UnpackStats(entries, bytes);
    }

    private TarArchiveEntry next(RawPaxTarInputStream tar) throws IOException {
        TarArchiveEntry previous = tar.getCurrentEntry();
        try {
            return tar.next();
        } catch (IOException e) {
            throw new IOException("reading the layer " + (previous == null ? "at its start"
                    : "after entry \"" + UnsafeLayerException.printable(previous.getName()) + "\"") + ": "
                    + e.getMessage(), e);
        }
    }

    private void apply(RawPaxTarInputStream tar, TarArchiveEntry e) throws IOException {
        String entry = e.getName();
        EntryPath path = EntryPath.parse(entry, entry, "name");
        Kind kind = kind(e);
        EntryMeta meta = EntryMeta.of(e, tar.rawPaxRecords());
        if (path.isRoot()) {
            if (kind != Kind.DIRECTORY) {
                throw new UnsafeLayerException(entry, "name is empty once cleaned (only a directory may name the layer root)");
            }
            directories.put("", meta);
            return;
        }
        if (isAufsMetadata(path)) {
            LOG.debug("Skipping AUFS metadata entry {}", entry);
            return;
        }
        if (path.name().startsWith(WHITEOUT_PREFIX)) {
            whiteout(path, meta, entry);
            return;
        }
        int parentFd = walker.dir(path.parent(), true, entry);
        switch (kind) {
            case DIRECTORY -> directory(parentFd, path, meta);
            case FILE -> regularFile(tar, e, parentFd, path, meta);
            case HARDLINK -> hardLink(e, parentFd, path);
            case SYMLINK -> symlink(e, parentFd, path, meta);
            case CHAR_DEVICE, BLOCK_DEVICE, FIFO -> node(kind, e, parentFd, path, meta);
        }
    }

    private static Kind kind(TarArchiveEntry e) throws IOException {
        byte flag = e.getLinkFlag();
        return switch (flag) {
            case '5' -> Kind.DIRECTORY;
            case '0', '7', 'S' -> Kind.FILE;
            case 0 -> e.getName().endsWith("/") ? Kind.DIRECTORY : Kind.FILE; // pre-POSIX tar, as Go reads it
            case '1' -> Kind.HARDLINK;
            case '2' -> Kind.SYMLINK;
            case '3' -> Kind.CHAR_DEVICE;
            case '4' -> Kind.BLOCK_DEVICE;
            case '6' -> Kind.FIFO;
            default -> throw new IOException("layer entry \"" + UnsafeLayerException.printable(e.getName())
                    + "\": unsupported tar entry type '" + (char) (flag & 0xff) + "'");
        };
    }

    // --- entry kinds -------------------------------------------------------------------------------------

    private void directory(int parentFd, EntryPath path, EntryMeta meta) throws IOException {
        String name = path.name();
        try {
            FileCalls.close(DirWalker.openChildDir(parentFd, name)); // a directory already: merge
        } catch (SyscallException e) {
            switch (e.errno()) {
                case FileCalls.ENOENT -> { }
                case FileCalls.ENOTDIR, FileCalls.ELOOP -> FileCalls.unlinkat(parentFd, name, 0);
                default -> throw e;
            }
            FileCalls.mkdirat(parentFd, name, NEW_DIR_MODE);
        }
        directories.put(path.relative(), meta);
    }

    private void regularFile(RawPaxTarInputStream tar, TarArchiveEntry e, int parentFd, EntryPath path,
                             EntryMeta meta) throws IOException {
        removeExisting(parentFd, path);
        int fd = FileCalls.openat(parentFd, path.name(), NEW_FILE_FLAGS, 0600);
        try {
            long expected = e.isSparse() ? e.getRealSize() : e.getSize();
            long written;
            try {
                written = copy(tar, fd);
            } catch (IOException x) {
                throw new IOException("layer entry \"" + UnsafeLayerException.printable(e.getName()) + "\": "
                        + x.getMessage(), x);
            }
            if (written != expected) {
                throw new IOException("layer entry \"" + UnsafeLayerException.printable(e.getName())
                        + "\": header says " + expected + " bytes but the archive holds " + written);
            }
            bytes += written;
            // Order matters: chown clears setuid/setgid and security.capability, so it comes first.
            FileCalls.fchown(fd, meta.uid(), meta.gid());
            for (Map.Entry<String, byte[]> x : meta.xattrs().entrySet()) {
                setXattr(() -> FileCalls.fsetxattr(fd, x.getKey(), x.getValue()), x.getKey(), e.getName());
            }
            FileCalls.fchmod(fd, meta.mode());
            FileCalls.futimens(fd, meta.atime(), meta.mtime());
        } finally {
            FileCalls.close(fd);
        }
    }

    private long copy(InputStream tar, int fd) throws IOException {
        long total = 0;
        int n;
        while ((n = tar.read(buffer, 0, buffer.length)) >= 0) {
            if (n == 0) {
                continue;
            }
            MemorySegment.copy(buffer, 0, nativeBuffer, ValueLayout.JAVA_BYTE, 0, n);
            FileCalls.writeFully(fd, nativeBuffer, n);
            total += n;
        }
        return total;
    }

    private void hardLink(TarArchiveEntry e, int parentFd, EntryPath path) throws IOException {
        String entry = e.getName();
        EntryPath target = EntryPath.parse(entry, e.getLinkName(), "hard link target");
        if (target.isRoot()) {
            throw new UnsafeLayerException(entry, "hard link target \"" + e.getLinkName() + "\" is the layer root");
        }
        int targetDirFd = walker.openDetached(target.parent(), entry);
        try {
            removeExisting(parentFd, path);
            // linkat without AT_SYMLINK_FOLLOW links a symbolic link itself, never what it points at.
            FileCalls.linkat(targetDirFd, target.name(), parentFd, path.name(), 0);
        } finally {
            FileCalls.close(targetDirFd);
        }
    }

    private void symlink(TarArchiveEntry e, int parentFd, EntryPath path, EntryMeta meta) throws IOException {
        String entry = e.getName();
        String target = e.getLinkName();
        if (target.indexOf('\0') >= 0) {
            throw new UnsafeLayerException(entry, "symbolic link target contains a NUL byte");
        }
        if (target.isEmpty()) {
            throw new IOException("layer entry \"" + UnsafeLayerException.printable(entry)
                    + "\": symbolic link with an empty target");
        }
        removeExisting(parentFd, path);
        String name = path.name();
        FileCalls.symlinkat(target, parentFd, name);
        FileCalls.fchownat(parentFd, name, meta.uid(), meta.gid(), FileCalls.AT_SYMLINK_NOFOLLOW);
        setXattrsByPath(path, meta, entry);
        FileCalls.utimensat(parentFd, name, meta.atime(), meta.mtime(), FileCalls.AT_SYMLINK_NOFOLLOW);
    }

    private void node(Kind kind, TarArchiveEntry e, int parentFd, EntryPath path, EntryMeta meta)
            throws IOException {
        String entry = e.getName();
        removeExisting(parentFd, path);
        String name = path.name();
        int type = switch (kind) {
            case CHAR_DEVICE -> FileCalls.S_IFCHR;
            case BLOCK_DEVICE -> FileCalls.S_IFBLK;
            default -> FileCalls.S_IFIFO;
        };
        long dev = kind == Kind.FIFO ? 0 : FileCalls.makedev(e.getDevMajor(), e.getDevMinor());
        String what = switch (kind) {
            case CHAR_DEVICE -> "character device " + e.getDevMajor() + ":" + e.getDevMinor();
            case BLOCK_DEVICE -> "block device " + e.getDevMajor() + ":" + e.getDevMinor();
            default -> "fifo";
        };
        mknod(parentFd, name, type | meta.mode(), dev, what, entry);
        FileCalls.fchownat(parentFd, name, meta.uid(), meta.gid(), FileCalls.AT_SYMLINK_NOFOLLOW);
        setXattrsByPath(path, meta, entry);
        // `name` was made by mknodat just now, so it is no symbolic link for fchmodat to follow.
        FileCalls.fchmodat(parentFd, name, meta.mode(), 0);
        FileCalls.utimensat(parentFd, name, meta.atime(), meta.mtime(), FileCalls.AT_SYMLINK_NOFOLLOW);
    }

    private void whiteout(EntryPath path, EntryMeta meta, String entry) throws IOException {
        String base = path.name();
        if (base.equals(OPAQUE_MARKER)) {
            int dirFd = walker.dir(path.parent(), true, entry);
            FileCalls.fsetxattr(dirFd, OPAQUE_XATTR, new byte[] {'y'});
            return;
        }
        if (base.startsWith(WHITEOUT_META_PREFIX)) {
            LOG.debug("Skipping whiteout metadata entry {}", entry);
            return;
        }
        String hidden = base.substring(WHITEOUT_PREFIX.length());
        if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            throw new UnsafeLayerException(entry, "whiteout \"" + base + "\" does not name a file");
        }
        EntryPath target = path.sibling(hidden);
        int parentFd = walker.dir(path.parent(), true, entry);
        removeExisting(parentFd, target);
        mknod(parentFd, hidden, FileCalls.S_IFCHR, FileCalls.makedev(0, 0), "whiteout (character device 0:0)",
                entry);
        FileCalls.fchownat(parentFd, hidden, meta.uid(), meta.gid(), FileCalls.AT_SYMLINK_NOFOLLOW);
    }

    /**
     * AUFS keeps its own files under top-level {@code .wh..wh.*} names ({@code .wh..wh.plnk/},
     * {@code .wh..wh.aufs}); Docker skips them too. The root's opaque marker is not one of them.
     */
    private static boolean isAufsMetadata(EntryPath path) {
        String first = path.parent().isEmpty() ? path.name() : path.parent().getFirst();
        return first.startsWith(WHITEOUT_META_PREFIX) && !(path.parent().isEmpty() && first.equals(OPAQUE_MARKER));
    }

    // --- helpers -----------------------------------------------------------------------------------------

    private static void mknod(int parentFd, String name, int mode, long dev, String what, String entry)
            throws IOException {
        try {
            FileCalls.mknodat(parentFd, name, mode, dev);
        } catch (SyscallException e) {
            if (e.errno() == FileCalls.EPERM) {
                throw new IOException("layer entry \"" + UnsafeLayerException.printable(entry) + "\": creating a "
                        + what + " is not permitted; device nodes and whiteouts need CAP_MKNOD "
                        + "(run as root outside a user namespace)", e);
            }
            throw e;
        }
    }

    /** Removes whatever is at {@code path} (a directory with all it holds); nothing there is fine. */
    private void removeExisting(int parentFd, EntryPath path) throws IOException {
        try {
            FileCalls.unlinkatIfExists(parentFd, path.name(), 0);
        } catch (SyscallException e) {
            if (e.errno() != FileCalls.EISDIR) {
                throw e;
            }
            walker.removeTree(path.parent(), path.name());
            String rel = path.relative();
            directories.remove(rel);
            directories.subMap(rel + "/", rel + "0").clear(); // '0' follows '/': everything below rel
        }
    }

    /**
     * Extended attributes of nodes that cannot be opened (symbolic links, devices, fifos), by path with
     * {@code lsetxattr}: the path's directories were just walked with {@code O_NOFOLLOW} and no one else
     * writes the layer directory, and lsetxattr does not follow the final component.
     */
    private void setXattrsByPath(EntryPath path, EntryMeta meta, String entry) throws IOException {
        if (meta.xattrs().isEmpty()) {
            return;
        }
        String file = walker.root().resolve(path.relative()).toString();
        for (Map.Entry<String, byte[]> x : meta.xattrs().entrySet()) {
            setXattr(() -> FileCalls.lsetxattr(file, x.getKey(), x.getValue()), x.getKey(), entry);
        }
    }

    /** As Docker: a file system without extended attributes is a warning, anything else an error. */
    private static void setXattr(Runnable set, String name, String entry) {
        try {
            set.run();
        } catch (SyscallException e) {
            if (e.errno() != FileCalls.EOPNOTSUPP) {
                throw e;
            }
            LOG.warn("Extended attribute {} of layer entry {} not set: not supported by the file system", name, entry);
        }
    }

    /** Owner, attributes, mode and times of the directories, now that nothing more is written into them. */
    private void finishDirectories() throws IOException {
        for (Map.Entry<String, EntryMeta> d : directories.descendingMap().entrySet()) {
            String rel = d.getKey();
            try {
                if (rel.isEmpty()) {
                    applyDirectory(walker.rootFd(), d.getValue(), "/");
                    continue;
                }
                EntryPath path = EntryPath.parse(rel, rel, "name");
                int dirFd = DirWalker.openChildDir(walker.dir(path.parent(), false, rel), path.name());
                try {
                    applyDirectory(dirFd, d.getValue(), rel);
                } finally {
                    FileCalls.close(dirFd);
                }
            } catch (SyscallException e) {
                throw failed(rel, e);
            }
        }
    }

    private static void applyDirectory(int fd, EntryMeta meta, String entry) {
        FileCalls.fchown(fd, meta.uid(), meta.gid());
        for (Map.Entry<String, byte[]> x : meta.xattrs().entrySet()) {
            setXattr(() -> FileCalls.fsetxattr(fd, x.getKey(), x.getValue()), x.getKey(), entry);
        }
        FileCalls.fchmod(fd, meta.mode());
        FileCalls.futimens(fd, meta.atime(), meta.mtime());
    }

    private static IOException failed(String entry, SyscallException e) {
        return new IOException("layer entry \"" + UnsafeLayerException.printable(entry) + "\": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        try {
            walker.close();
        } finally {
            arena.close();
        }
    }
}
