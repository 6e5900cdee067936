package io.crio.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void stagedFilesReplaceTheirTargetsOnlyWhenCommittedInOrder() throws IOException {
        Path a = Files.writeString(dir.resolve("a.json"), "old a");
        Path b = dir.resolve("b.json");
        List<AtomicFiles.Staged> staged = AtomicFiles.stageAllDataFlushed(List.of(a, b),
                List.of(bytes("new a"), bytes("new b")));
        assertEquals(List.of(a, b), staged.stream().map(AtomicFiles.Staged::target).toList());
        assertEquals("old a", Files.readString(a));
        assertFalse(Files.exists(b));
        assertEquals(2, temporaryFiles().size());

        staged.get(0).commit();
        assertEquals("new a", Files.readString(a));
        assertFalse(Files.exists(b));
        staged.get(1).commit();
        for (AtomicFiles.Staged s : staged) {
            s.close();
        }
        assertEquals("new b", Files.readString(b));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(b)));
        assertEquals(List.of(), temporaryFiles());
    }

    @Test
    void anUncommittedStageLeavesNoTrace() throws IOException {
        Path a = Files.writeString(dir.resolve("a.json"), "old a");
        try (AtomicFiles.Staged s = AtomicFiles.stageDataFlushed(a, bytes("new a"))) {
            assertEquals(1, temporaryFiles().size());
        }
        assertEquals("old a", Files.readString(a));
        assertEquals(List.of(), temporaryFiles());
    }

    @Test
    void aFailedRenameLeavesTheTargetAndClosingRemovesTheTemporaryFile() throws IOException {
        Path busy = Files.createDirectories(dir.resolve("busy.json").resolve("child"));
        AtomicFiles.Staged s = AtomicFiles.stageDataFlushed(busy.getParent(), bytes("new"));
        assertThrows(IOException.class, s::commit);
        s.close();
        assertTrue(Files.isDirectory(busy));
        assertEquals(List.of(), temporaryFiles());
    }

    @Test
    void oneFailedFlushRemovesTheOthersTemporaryFiles() throws IOException {
        Path a = Files.writeString(dir.resolve("a.json"), "old a");
        Path missing = dir.resolve("no-such-dir").resolve("b.json");
        assertThrows(NoSuchFileException.class, () -> AtomicFiles.stageAllDataFlushed(List.of(a, missing),
                List.of(bytes("new a"), bytes("new b"))));
        assertEquals("old a", Files.readString(a));
        assertEquals(List.of(), temporaryFiles());
        assertThrows(IllegalArgumentException.class,
                () -> AtomicFiles.stageAllDataFlushed(List.of(a), List.of(bytes("x"), bytes("y"))));
    }

    private List<Path> temporaryFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
