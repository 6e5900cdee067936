package io.crio.conmon;

import io.crio.sys.PresentFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalInt;

/** The exit file conmon writes into its exit directory when the container's process ends: the exit code as text. */
public final class ExitFile {

    private ExitFile() {}

    public static OptionalInt read(Path exitDir, String containerId) {
        try {
            String text = PresentFiles.readString(exitDir.resolve(containerId)).orElse("").trim();
            return text.isEmpty() ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(text));
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
