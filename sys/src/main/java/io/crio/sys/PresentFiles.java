package io.crio.sys;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads of files that are often absent (exit files not written yet, pid files of pods without an infra
 * process, a base layer's {@code lower} file). The file is looked for first: for an absent file the JDK's
 * reads throw and catch two exceptions with stack traces, a cost paid on every container call otherwise.
 */
public final class PresentFiles {

    private PresentFiles() {}

    /** The file's text (UTF-8); empty when there is no such file, also when it goes away while being read. */
    public static Optional<String> readString(Path file) throws IOException {
        return readString(file, StandardCharsets.UTF_8);
    }

    /** {@link #readString(Path)} in {@code charset}. */
    public static Optional<String> readString(Path file, Charset charset) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(file, charset));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
