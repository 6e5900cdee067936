package io.crio.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixDatagramTest {

    @TempDir
    Path dir;

    @Test
    void sendsOneDatagramToABoundSocket() {
        String path = dir.resolve("notify.sock").toString();
        try (UnixDatagram.Receiver r = UnixDatagram.bind(path)) {
            UnixDatagram.send(path, "READY=1".getBytes(StandardCharsets.UTF_8));
            byte[] got = r.receive(Duration.ofSeconds(2)).orElseThrow();
            assertArrayEquals("READY=1".getBytes(StandardCharsets.UTF_8), got);
        }
    }

    @Test
    void abstractNamespaceSocketsWork() {
        String name = "@crio-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagram.Receiver r = UnixDatagram.bind(name)) {
            UnixDatagram.send(name, new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, r.receive(Duration.ofSeconds(2)).orElseThrow());
        }
    }

    @Test
    void receiveTimesOutWhenNothingArrives() {
        try (UnixDatagram.Receiver r = UnixDatagram.bind(dir.resolve("quiet.sock").toString())) {
            assertTrue(r.receive(Duration.ofMillis(50)).isEmpty());
        }
    }

    @Test
    void sendingToAMissingSocketNamesTheCallAndErrno() {
        SyscallException e = assertThrows(SyscallException.class,
                () -> UnixDatagram.send(dir.resolve("absent.sock").toString(), new byte[] {1}));
        assertEquals(2, e.errno());
        assertTrue(e.getMessage().contains("sendto"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("absent.sock")));
    }

    @Test
    void rejectsOverlongPaths() {
        assertThrows(IllegalArgumentException.class, () -> UnixDatagram.send("/" + "x".repeat(120), new byte[] {1}));
    }
}
