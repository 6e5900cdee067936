package io.crio.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpawnTest {

    @TempDir
    Path dir;

    private static Spawn.SpawnRequest sh(String script, Map<Integer, Integer> fds, boolean setsid, Path out) {
        return new Spawn.SpawnRequest("/bin/sh", List.of("sh", "-c", script), Map.of("GREETING", "hello", "PATH", "/usr/bin:/bin"),
                fds, null, out == null ? null : out.toString(), null, setsid);
    }

    @Test
    void passesExtraDescriptorsBothWays() {
        Spawn.Pipe up = Spawn.pipe();
        Spawn.Pipe down = Spawn.pipe();
        int pid = Spawn.spawn(sh("echo \"$GREETING\" >&3; read x <&4; echo \"got $x\" >&3",
                Map.of(3, up.writeFd(), 4, down.readFd()), false, null));
        Spawn.close(up.writeFd());
        Spawn.close(down.readFd());
        Spawn.writeFully(down.writeFd(), "ping\n".getBytes(StandardCharsets.UTF_8));
        Spawn.close(down.writeFd());
        String got = new String(Spawn.readAll(up.readFd(), Duration.ofSeconds(10), 1024), StandardCharsets.UTF_8);
        Spawn.close(up.readFd());
        assertEquals("hello\ngot ping\n", got);
        assertEquals(OptionalInt.of(0), Spawn.waitExit(pid, Duration.ofSeconds(10)));
    }

    @Test
    void startsANewSessionWhenAsked() throws Exception {
        Path out = dir.resolve("out");
        int pid = Spawn.spawn(sh("cut -d' ' -f6 /proc/$$/stat", Map.of(), true, out));
        assertEquals(OptionalInt.of(0), Spawn.waitExit(pid, Duration.ofSeconds(10)));
        assertEquals(Integer.toString(pid), Files.readString(out).trim());
    }

    @Test
    void runsInTheGivenWorkingDirectory() throws Exception {
        Path out = dir.resolve("out");
        Path work = java.nio.file.Files.createDirectories(dir.resolve("work"));
        int pid = Spawn.spawn(new Spawn.SpawnRequest("/bin/sh", List.of("sh", "-c", "pwd; touch here"), Map.of(), Map.of(),
                null, out.toString(), null, false, work.toString()));
        assertEquals(OptionalInt.of(0), Spawn.waitExit(pid, Duration.ofSeconds(10)));
        assertEquals(work.toString(), Files.readString(out).trim());
        assertTrue(Files.exists(work.resolve("here")));
    }

    @Test
    void reportsExitCodesAndSignals() {
        int failing = Spawn.spawn(sh("exit 3", Map.of(), false, null));
        assertEquals(OptionalInt.of(3), Spawn.waitExit(failing, Duration.ofSeconds(10)));
        int sleeper = Spawn.spawn(sh("sleep 30", Map.of(), false, null));
        assertTrue(Spawn.waitExit(sleeper, Duration.ofMillis(50)).isEmpty());
        Spawn.kill(sleeper, 9);
        assertEquals(OptionalInt.of(137), Spawn.waitExit(sleeper, Duration.ofSeconds(10)));
    }

    @Test
    void readTimesOutWhenTheWriterStaysOpen() {
        Spawn.Pipe p = Spawn.pipe();
        try {
            assertThrows(Spawn.TimeoutException.class, () -> Spawn.readAll(p.readFd(), Duration.ofMillis(50), 16));
        } finally {
            Spawn.close(p.readFd());
            Spawn.close(p.writeFd());
        }
    }

    @Test
    void aMissingProgramIsAClearError() {
        SyscallException e = assertThrows(SyscallException.class, () -> Spawn.spawn(new Spawn.SpawnRequest(
                "/does/not/exist", List.of("x"), Map.of(), Map.of(), null, null, null, false)));
        assertEquals(2, e.errno());
    }
}
