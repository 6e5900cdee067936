package io.crio.e2e.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An image whose layers try to write outside the directory they are unpacked into, and the host paths
 * that tell whether one succeeded. Closing it deletes the host target files it created and any marker
 * an escape left behind.
 *
 * @param image              the pushed image
 * @param kind               which escape its layers try
 * @param mustNotExist       absolute host paths an escape would create
 * @param mustStayUnchanged  host files the fixture created, with the content they must keep (and a
 *                           link count of 1)
 * @param markerNames        file names that {@code ../} escapes of unknown depth would create in some
 *                           ancestor of the unpack directory
 */
public record MaliciousImage(PushedImage image, Escape kind, List<Path> mustNotExist,
        Map<Path, String> mustStayUnchanged, List<String> markerNames) implements AutoCloseable {

    /** The escape a malicious image's layers try. */
    public enum Escape {
        /** Entry names with {@code ../} (shallow and deep enough to reach {@code /tmp}). */
        DOTDOT,
        /** An entry named {@code /tmp/…}. */
        ABSOLUTE,
        /** Symlinks to {@code /tmp} (absolute and via {@code ../}) and files written through them, in the
         *  same layer and the next; a symlink to a host path replaced by a regular file entry. */
        SYMLINK,
        /** Hard links to a host file (absolute and via {@code ../}), then regular entries of the same name
         *  that would write through the link. */
        HARDLINK;

        public static Escape parse(String kind) {
            return valueOf(kind.strip().toUpperCase(Locale.ROOT).replace("-", "").replace("_", ""));
        }
    }

    /**
     * What escaped, or an empty list: host paths that exist but must not, host files that changed or
     * gained links, and marker files in any ancestor of {@code unpackDirs} (where {@code ../} entries
     * land). Pass the directories the layers were unpacked into, if known.
     */
    public List<String> violations(Path... unpackDirs) throws IOException {
        List<String> found = new ArrayList<>();
        for (Path p : mustNotExist) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                found.add("escape created " + p);
            }
        }
        for (Map.Entry<Path, String> e : mustStayUnchanged.entrySet()) {
            Path p = e.getKey();
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                found.add("host file " + p + " is gone or replaced");
                continue;
            }
            String now = Files.readString(p, StandardCharsets.UTF_8);
            if (!now.equals(e.getValue())) {
                found.add("host file " + p + " was overwritten: " + now.strip());
            }
            int links = (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            if (links != 1) {
                found.add("host file " + p + " gained hard links (nlink " + links + ")");
            }
        }
        for (Path dir : unpackDirs) {
            for (Path a = dir.toAbsolutePath().normalize().getParent(); a != null; a = a.getParent()) {
                for (String name : markerNames) {
                    if (Files.exists(a.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                        found.add("escape created " + a.resolve(name));
                    }
                }
            }
        }
        return found;
    }

    /** Deletes the host files the fixture created and the absolute-path markers an escape left. */
    @Override
    public void close() throws IOException {
        cleanup();
    }

    /** Like {@link #close()}, and also deletes markers left in ancestors of {@code unpackDirs}. */
    public void cleanup(Path... unpackDirs) throws IOException {
        for (Path p : mustNotExist) {
            Files.deleteIfExists(p);
        }
        for (Path p : mustStayUnchanged.keySet()) {
            Files.deleteIfExists(p);
        }
        for (Path dir : unpackDirs) {
            for (Path a = dir.toAbsolutePath().normalize().getParent(); a != null; a = a.getParent()) {
                for (String name : markerNames) {
                    Files.deleteIfExists(a.resolve(name));
                }
            }
        }
    }
}
