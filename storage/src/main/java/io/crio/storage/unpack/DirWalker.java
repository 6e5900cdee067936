package io.crio.storage.unpack;

import io.crio.sys.FileCalls;
import io.crio.sys.SyscallException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Directory descriptors inside the layer root, reached one component at a time with
 * {@code openat(O_DIRECTORY | O_NOFOLLOW)}: a symbolic link anywhere on the way is refused, never followed,
 * so nothing reached through a walker can be outside the root.
 *
 * <p>The walker keeps the descriptors of the last directory it walked to and its ancestors, since a layer
 * lists the entries of one directory together: the next walk reuses the common prefix.
 *
 * <p>Removal ({@link #removeTree}) goes by path below the root. That is equivalent to the descriptors only
 * because the layer directory has no other writer while it is unpacked and the path's directories were
 * just walked with {@code O_NOFOLLOW}; the recursive removal itself is descriptor-relative
 * ({@link SecureDirectoryStream}) and never follows a link.
 */
final class DirWalker implements AutoCloseable {

    private static final int DIR_FLAGS =
            FileCalls.O_RDONLY | FileCalls.O_DIRECTORY | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC;
    /** Mode of directories a layer uses without listing them, as Docker and containers/storage create them. */
    private static final int IMPLICIT_DIR_MODE = 0755;

    private final Path root;
    private final int rootFd;
    private final List<String> names = new ArrayList<>();
    private int[] fds = new int[16];

    DirWalker(Path root) {
        this.root = root;
        this.rootFd = FileCalls.openat(FileCalls.AT_FDCWD, root.toString(),
                FileCalls.O_RDONLY | FileCalls.O_DIRECTORY | FileCalls.O_CLOEXEC, 0);
    }

    Path root() {
        return root;
    }

    int rootFd() {
        return rootFd;
    }

    /**
     * The descriptor of directory {@code dir} (components below the root), owned by the walker and valid
     * until the next call. With {@code create}, missing directories are made with mode 0755.
     */
    int dir(List<String> dir, boolean create, String entry) throws IOException {
        int common = 0;
        while (common < names.size() && common < dir.size() && names.get(common).equals(dir.get(common))) {
            common++;
        }
        truncate(common);
        for (int i = common; i < dir.size(); i++) {
            int fd = step(i == 0 ? rootFd : fds[i - 1], dir, i, create, entry);
            if (i == fds.length) {
                fds = Arrays.copyOf(fds, fds.length * 2);
            }
            fds[i] = fd;
            names.add(dir.get(i));
        }
        return dir.isEmpty() ? rootFd : fds[dir.size() - 1];
    }

    /** Like {@link #dir} without creating anything, but the caller owns (and closes) the descriptor. */
    int openDetached(List<String> dir, String entry) throws IOException {
        int fd = FileCalls.openat(rootFd, ".", DIR_FLAGS, 0);
        try {
            for (int i = 0; i < dir.size(); i++) {
                int next = step(fd, dir, i, false, entry);
                FileCalls.close(fd);
                fd = next;
            }
            return fd;
        } catch (IOException | RuntimeException e) {
            FileCalls.close(fd);
            throw e;
        }
    }

    /** Opens directory {@code name} in {@code parentFd} itself, refusing a symbolic link; caller closes. */
    static int openChildDir(int parentFd, String name) {
        return FileCalls.openat(parentFd, name, DIR_FLAGS, 0);
    }

    private int step(int parentFd, List<String> dir, int i, boolean create, String entry) throws IOException {
        String name = dir.get(i);
        try {
            return openChildDir(parentFd, name);
        } catch (SyscallException e) {
            String shown = String.join("/", dir.subList(0, i + 1));
            switch (e.errno()) {
                case FileCalls.ENOENT -> {
                    if (!create) {
                        throw new IOException("layer entry \"" + UnsafeLayerException.printable(entry)
                                + "\": directory \"" + shown + "\" does not exist", e);
                    }
                    FileCalls.mkdirat(parentFd, name, IMPLICIT_DIR_MODE);
                    int fd = openChildDir(parentFd, name);
                    FileCalls.fchmod(fd, IMPLICIT_DIR_MODE); // whatever the umask
                    return fd;
                }
                case FileCalls.ENOTDIR, FileCalls.ELOOP -> {
                    // Read-only look, only to word the refusal.
                    if (Files.isSymbolicLink(root.resolve(shown))) {
                        throw new UnsafeLayerException(entry, "path component \"" + shown
                                + "\" is a symbolic link; refusing to go through it");
                    }
                    throw new IOException("layer entry \"" + UnsafeLayerException.printable(entry)
                            + "\": path component \"" + shown + "\" is not a directory", e);
                }
                default -> throw e;
            }
        }
    }

    /**
     * Removes directory {@code name} in {@code parent} with everything below it, following no link, and
     * forgets any cached descriptor at or below it.
     */
    void removeTree(List<String> parent, String name) throws IOException {
        List<String> removed = new ArrayList<>(parent);
        removed.add(name);
        if (names.size() >= removed.size() && names.subList(0, removed.size()).equals(removed)) {
            truncate(removed.size() - 1);
        }
        Path parentPath = parent.isEmpty() ? root : root.resolve(String.join("/", parent));
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(parentPath)) {
            if (stream instanceof SecureDirectoryStream<Path> secure) {
                removeAt(secure, Path.of(name));
                return;
            }
        }
        removeByWalking(parentPath.resolve(name));
    }

    private static void removeAt(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        BasicFileAttributes attrs = dir.getFileAttributeView(name, BasicFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS).readAttributes();
        if (!attrs.isDirectory()) {
            dir.deleteFile(name);
            return;
        }
        try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
            List<Path> children = new ArrayList<>();
            for (Path child : sub) {
                children.add(child.getFileName());
            }
            for (Path child : children) {
                removeAt(sub, child);
            }
        }
        dir.deleteDirectory(name);
    }

    /** Fallback where the JDK has no {@link SecureDirectoryStream}; {@code walkFileTree} follows no link. */
    private static void removeByWalking(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void truncate(int depth) {
        while (names.size() > depth) {
            int last = names.size() - 1;
            FileCalls.close(fds[last]);
            names.removeLast();
        }
    }

    @Override
    public void close() {
        truncate(0);
        FileCalls.close(rootFd);
    }
}
