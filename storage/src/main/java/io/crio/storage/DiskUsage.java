package io.crio.storage;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/** Measures directory trees of the store by walking them (what {@code du --apparent-size --inodes} would count). */
final class DiskUsage {

    private DiskUsage() {}

    /**
     * Sums apparent sizes and counts inodes under {@code root}, counting hard links once, staying on
     * {@code root}'s filesystem and not entering the layers' {@code merged} mount points.
     */
    static Usage walk(Path root, boolean skipMerged) throws IOException {
        if (!Files.exists(root)) {
            return new Usage(0, 0, root);
        }
        Object rootDev = Files.getAttribute(root, "unix:dev");
        Set<Object> seen = new HashSet<>();
        long[] totals = new long[2];
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                count(attrs);
                if (!dir.equals(root)) {
                    if (skipMerged && dir.getFileName().toString().equals("merged")
                            && dir.getParent().getParent().equals(root)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    try {
                        if (!rootDev.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                    } catch (NoSuchFileException e) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                count(attrs);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // removed while we walked
                }
                throw exc;
            }

            private void count(BasicFileAttributes attrs) {
                Object key = attrs.fileKey();
                if (key == null || seen.add(key)) {
                    totals[0] += attrs.size();
                    totals[1]++;
                }
            }
        });
        return new Usage(totals[0], totals[1], root);
    }
}
