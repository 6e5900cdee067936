package io.crio.oci;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds a program the way a shell does: a path as given, or a bare name searched in {@code $PATH}. */
public final class ExecutableLookup {

    private final String searchPath;

    public ExecutableLookup(String searchPath) {
        this.searchPath = searchPath == null ? "" : searchPath;
    }

    public static ExecutableLookup fromEnvironment() {
        String path = System.getenv("PATH");
        return new ExecutableLookup(path == null || path.isEmpty()
                ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path);
    }

    /** The executable for {@code configured} if given, else for {@code fallbackName}, if one exists. */
    public Optional<Path> find(String configured, String fallbackName) {
        String wanted = configured == null || configured.isEmpty() ? fallbackName : configured;
        if (wanted.contains("/")) {
            Path p = Path.of(wanted);
            return isExecutableFile(p) ? Optional.of(p) : Optional.empty();
        }
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, wanted);
            if (isExecutableFile(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static boolean isExecutableFile(Path p) {
        return Files.isRegularFile(p) && Files.isExecutable(p);
    }
}
