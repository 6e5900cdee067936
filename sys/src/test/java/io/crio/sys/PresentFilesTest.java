package io.crio.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PresentFilesTest {

    @TempDir
    Path dir;

    @Test
    void anAbsentFileReadsAsEmpty() throws Exception {
        assertEquals(Optional.empty(), PresentFiles.readString(dir.resolve("exit")));
        assertEquals(Optional.empty(), PresentFiles.readString(dir.resolve("no/such/dir/pidfile")));
    }

    @Test
    void aPresentFileReadsAsItsText() throws Exception {
        Files.writeString(dir.resolve("exit"), "137\n");
        assertEquals(Optional.of("137\n"), PresentFiles.readString(dir.resolve("exit")));
        Files.writeString(dir.resolve("lower"), "l/ABC:l/DEF", StandardCharsets.US_ASCII);
        assertEquals(Optional.of("l/ABC:l/DEF"), PresentFiles.readString(dir.resolve("lower"), StandardCharsets.US_ASCII));
    }
}
