package io.crio.conmon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/** The exit file conmon writes into its exit directory when the container's process ends: the exit code as text. */
public final class ExitFile {

    private ExitFile() {}

    public static OptionalInt read(Path exitDir, String containerId) {
        Path file = exitDir.resolve(containerId);
        if (!Files.exists(file)) {
            return OptionalInt.empty();
        }
        try {
            String text = Files.readString(file).trim();
            return text.isEmpty() ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(text));
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
