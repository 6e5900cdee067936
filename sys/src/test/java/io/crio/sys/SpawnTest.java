package io.crio.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void passesOnlyTheGivenEnvironment() throws Exception {
        Path out = dir.resolve("env");
        int pid = Spawn.spawn(new Spawn.SpawnRequest("/usr/bin/env", List.of("env"), Map.of("A", "1", "B", "x y"),
                Map.of(), null, out.toString(), null, false));
        assertEquals(OptionalInt.of(0), Spawn.waitExit(pid, Duration.ofSeconds(10)));
        assertEquals(List.of("A=1", "B=x y"), Files.readAllLines(out).stream().sorted().toList());
    }

    @Test
    void startsWithNoBlockedOrIgnoredSignals() throws Exception {
        Path out = dir.resolve("status");
        int pid = Spawn.spawn(sh("exec grep -E '^Sig(Blk|Ign)' /proc/self/status", Map.of(), false, out));
        assertEquals(OptionalInt.of(0), Spawn.waitExit(pid, Duration.ofSeconds(10)));
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size(), lines.toString());
        for (String line : lines) {
            String mask = line.split("\\s+")[1];
            long bits = Long.parseUnsignedLong(mask, 16);
            if (line.startsWith("SigIgn")) {
                // glibc's posix_spawn leaves its own two internal signals (32 and 33) ignored, as for ProcessBuilder
                bits &= ~((1L << 31) | (1L << 32));
            }
            assertEquals(0, bits, line);
        }
    }

    @Test
    void measuresSpawnAgainstProcessBuilder() throws Exception {
        int rounds = 100;
        for (int warm = 0; warm < 100; warm++) {
            Spawn.waitExit(Spawn.spawn(new Spawn.SpawnRequest("/bin/true", List.of("true"), Map.of(), Map.of(),
                    null, null, null, false)), Duration.ofSeconds(10));
            new ProcessBuilder("/bin/true").start().waitFor();
        }
        int[] pids = new int[rounds];
        long t0 = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            pids[i] = Spawn.spawn(new Spawn.SpawnRequest("/bin/true", List.of("true"), Map.of(), Map.of(),
                    null, null, null, false));
        }
        long t1 = System.nanoTime();
        for (int pid : pids) {
            assertEquals(OptionalInt.of(0), Spawn.waitExit(pid, Duration.ofSeconds(10)));
        }
        long t2 = System.nanoTime();
        Process[] procs = new Process[rounds];
        for (int i = 0; i < rounds; i++) {
            procs[i] = new ProcessBuilder("/bin/true").start();
        }
        long t3 = System.nanoTime();
        for (Process p : procs) {
            assertEquals(0, p.waitFor());
        }
        long t5 = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            int pid = Spawn.spawn(new Spawn.SpawnRequest("/bin/true", List.of("true"), Map.of(), Map.of(),
                    null, null, null, false));
            assertEquals(OptionalInt.of(0), Spawn.waitExit(pid, Duration.ofSeconds(10)));
        }
        long t6 = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            assertEquals(0, new ProcessBuilder("/bin/true").start().waitFor());
        }
        long t7 = System.nanoTime();
        System.out.printf("start /bin/true: posix_spawn %.2f ms, ProcessBuilder %.2f ms; start+wait one by one:"
                        + " posix_spawn %.2f ms, ProcessBuilder %.2f ms (mean of %d)%n",
                (t1 - t0) / 1e6 / rounds, (t3 - t2) / 1e6 / rounds, (t6 - t5) / 1e6 / rounds,
                (t7 - t6) / 1e6 / rounds, rounds);
    }

    @Test
    void aMissingProgramIsAClearError() {
        SyscallException e = assertThrows(SyscallException.class, () -> Spawn.spawn(new Spawn.SpawnRequest(
                "/does/not/exist", List.of("x"), Map.of(), Map.of(), null, null, null, false)));
        assertEquals(2, e.errno());
    }

    /** Shell commands that write the shell's pid to {@code file} whole: the file never exists empty. */
    private static String writePid(Path file) {
        return "echo $$ > " + file + ".tmp && mv " + file + ".tmp " + file;
    }

    private static Spawn.SpawnRequest script(String body, String stdin) {
        return new Spawn.SpawnRequest("/bin/sh", List.of("sh", "-c", body), Map.of("PATH", "/usr/bin:/bin"), Map.of(),
                stdin, null, null, false);
    }

    @Test
    void runToEndKeepsTheFirstBytesOfEachStreamAndTheExitCode() throws Exception {
        Path in = Files.writeString(dir.resolve("stdin"), "from stdin");
        Spawn.Finished f = Spawn.runToEnd(script("cat; echo; head -c 200000 /dev/zero | tr '\\0' e >&2; exit 7",
                in.toString()), Duration.ofSeconds(10), 1024, 100, Duration.ofSeconds(2));
        assertEquals(7, f.exitCode());
        assertFalse(f.timedOut());
        assertEquals("from stdin\n", new String(f.out(), StandardCharsets.UTF_8));
        assertFalse(f.outTruncated());
        assertEquals("e".repeat(100), new String(f.err(), StandardCharsets.UTF_8));
        assertTrue(f.errTruncated(), "the rest of stderr was read and dropped");
    }

    @Test
    void runToEndRunsTheCallersWorkWhileTheProgramRuns() throws Exception {
        // the program waits for a file that only the caller's work writes: had the work run after the wait,
        // the program would time out
        Path go = dir.resolve("go");
        Spawn.Finished f = Spawn.runToEnd(script("while [ ! -s " + go + " ]; do sleep 0.01; done; cat " + go, null),
                Duration.ofSeconds(10), 1024, 1024, Duration.ofSeconds(2), () -> {
                    try {
                        Files.writeString(go, "written while running");
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        assertFalse(f.timedOut());
        assertEquals(0, f.exitCode());
        assertEquals("written while running", new String(f.out(), StandardCharsets.UTF_8));
    }

    @Test
    void whatTheCallersWorkThrowsEndsTheProgramAndPropagates() throws Exception {
        Path pidFile = dir.resolve("work.pid");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Spawn.runToEnd(
                script(writePid(pidFile) + "; exec sleep 60", null), Duration.ofSeconds(30), 1024, 1024,
                Duration.ofSeconds(2), () -> {
                    long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    while (!Files.exists(pidFile) && System.nanoTime() < end) {
                        Thread.onSpinWait();
                    }
                    throw new IllegalStateException("expected by the test");
                }));
        assertEquals("expected by the test", e.getMessage());
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "the program was killed and reaped");
    }

    @Test
    void runToEndWaitsOnlyBrieflyForOutputHeldByALeftoverProcess() throws Exception {
        Path pidFile = dir.resolve("left.pid");
        long t0 = System.nanoTime();
        Spawn.Finished f = Spawn.runToEnd(script("echo started; sleep 30 & echo $! > " + pidFile + "; exit 0", null),
                Duration.ofSeconds(20), 1024, 1024, Duration.ofMillis(300));
        long took = System.nanoTime() - t0;
        try {
            assertEquals(0, f.exitCode());
            assertFalse(f.timedOut());
            assertEquals("started\n", new String(f.out(), StandardCharsets.UTF_8));
            assertTrue(took < Duration.ofSeconds(10).toNanos(), "returned after the grace, not the timeout: " + took);
        } finally {
            Spawn.kill(Integer.parseInt(Files.readString(pidFile).trim()), 9);
        }
    }

    @Test
    void runToEndKillsTheProgramAndWhatItStartedAtTheTimeout() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        Spawn.Finished f = Spawn.runToEnd(script("sleep 60 & echo $! > " + pidFile + "; wait", null),
                Duration.ofMillis(500), 1024, 1024, Duration.ofSeconds(2));
        assertTrue(f.timedOut());
        assertEquals(-1, f.exitCode());
        long child = Long.parseLong(Files.readString(pidFile).trim());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "the grandchild was killed");
    }

    @Test
    void runToEndGivesAMemoryFileAsStdinAndReportsAKillingSignal() {
        int input = Spawn.memoryFile("input", "line one\nline two\n".getBytes(StandardCharsets.UTF_8));
        try {
            Spawn.Finished f = Spawn.runToEnd(new Spawn.SpawnRequest("/bin/sh", List.of("sh", "-c", "cat; kill -9 $$"),
                    Map.of("PATH", "/usr/bin:/bin"), Map.of(0, input), null, null, null, false),
                    Duration.ofSeconds(10), 1024, 1024, Duration.ofSeconds(2));
            assertEquals("line one\nline two\n", new String(f.out(), StandardCharsets.UTF_8));
            assertEquals(128 + 9, f.exitCode());
            assertFalse(f.timedOut());
        } finally {
            Spawn.close(input);
        }
    }

    @Test
    void runToEndKeepsOutputOfExactlyTheLimitWhole() {
        Spawn.Finished f = Spawn.runToEnd(script("printf 0123456789", null), Duration.ofSeconds(10), 10, 10,
                Duration.ofSeconds(2));
        assertEquals("0123456789", new String(f.out(), StandardCharsets.UTF_8));
        assertFalse(f.outTruncated());
    }

    @Test
    void anInterruptedRunToEndKillsTheProgramAndKeepsTheInterrupt() throws Exception {
        Path pidFile = dir.resolve("run.pid");
        Thread.currentThread().interrupt();
        try {
            long t0 = System.nanoTime();
            Spawn.Finished f = Spawn.runToEnd(script(writePid(pidFile) + "; exec sleep 60", null),
                    Duration.ofSeconds(30), 1024, 1024, Duration.ofSeconds(2));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt stays set");
            assertTrue(f.timedOut());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
        } finally {
            Thread.interrupted();
        }
        if (Files.exists(pidFile)) {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            assertFalse(Files.exists(Path.of("/proc/" + pid)), "the program was killed and reaped");
        }
    }

    @Test
    void runToEndLeavesNoDescriptorOpen() throws Exception {
        long before = openDescriptors();
        for (int i = 0; i < 20; i++) {
            Spawn.runToEnd(script("echo out; echo err >&2", null), Duration.ofSeconds(10), 1024, 1024,
                    Duration.ofSeconds(2));
        }
        Spawn.runToEnd(script("exec sleep 60", null), Duration.ofMillis(200), 1024, 1024, Duration.ofSeconds(2));
        assertEquals(before, openDescriptors());
    }

    private static long openDescriptors() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
