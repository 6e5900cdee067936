package io.crio.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.oci.OciRuntimeCli;
import io.crio.sys.Libc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real conmon and runc: create, start, log, kill, exit file, delete; and a failing create. */
class ConmonLauncherTest {

    static final Path CONMON = Path.of("/usr/bin/conmon");
    static final Path RUNC = Path.of("/usr/sbin/runc");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void requireRootAndTools() {
        Assumptions.assumeTrue(Libc.geteuid() == 0, "needs root");
        Assumptions.assumeTrue(Files.isExecutable(CONMON) && Files.isExecutable(RUNC), "needs conmon and runc");
    }

    @org.junit.jupiter.api.AfterAll
    static void removeTestCgroups() throws Exception {
        try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                Files.deleteIfExists(h.resolve("crio-conmon-test"));
            }
        } catch (java.nio.file.DirectoryNotEmptyException | java.nio.file.NoSuchFileException e) {
            // a container cgroup still exists, or no cgroup file system
        }
    }

    private Path bundle(String id, List<String> args, boolean withRootfs) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve(id));
        Path rootfs = bundle.resolve("rootfs");
        if (withRootfs) {
            Files.createDirectories(rootfs.resolve("bin"));
            Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
            for (String applet : List.of("sh", "sleep", "echo")) {
                Files.createSymbolicLink(rootfs.resolve("bin/" + applet), Path.of("busybox"));
            }
            for (String d : List.of("proc", "sys", "dev", "tmp")) {
                Files.createDirectories(rootfs.resolve(d));
            }
        }
        Process p = new ProcessBuilder(RUNC.toString(), "spec", "--bundle", bundle.toString()).inheritIO().start();
        assertEquals(0, p.waitFor());
        ObjectNode spec = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) spec.get("process");
        process.put("terminal", false);
        process.remove("rlimits");
        ArrayNode a = process.putArray("args");
        args.forEach(a::add);
        ((ObjectNode) spec.get("linux")).put("cgroupsPath", "/crio-conmon-test/" + id);
        JSON.writeValue(bundle.resolve("config.json").toFile(), spec);
        return bundle;
    }

    private ConmonLaunch launch(String id, Path bundle) throws Exception {
        return ConmonLaunch.builder().conmonPath(CONMON.toString()).runtimePath(RUNC.toString())
                .runtimeRoot(dir.resolve("runc-root").toString()).containerId(id).containerName("k8s_" + id)
                .bundleDir(bundle.toString()).containerPidFile(bundle.resolve("pidfile").toString())
                .conmonPidFile(bundle.resolve("conmon-pidfile").toString())
                .logPath(dir.resolve(id + ".log").toString())
                .exitDir(Files.createDirectories(dir.resolve("exits")).toString())
                .socketDir(Files.createDirectories(dir.resolve("attach")).toString())
                .persistDir(bundle.toString()).build();
    }

    @Test
    void createsStartsLogsAndRecordsTheExit() throws Exception {
        String id = "ctr" + System.nanoTime();
        Path bundle = bundle(id, List.of("/bin/sh", "-c", "echo out; echo err >&2; sleep 30"), true);
        OciRuntimeCli runc = new OciRuntimeCli(RUNC.toString(), dir.resolve("runc-root").toString(), false);
        AtomicInteger seen = new AtomicInteger();
        try {
            long t0 = System.nanoTime();
            ConmonLauncher.Created created = ConmonLauncher.create(launch(id, bundle), Duration.ofSeconds(30), seen::set);
            long t1 = System.nanoTime();
            assertTrue(created.containerPid() > 0);
            assertTrue(seen.get() > 0, "beforeStart got conmon's pid");
            assertEquals("created", runc.state(id).path("status").asText());
            runc.start(id);
            long t2 = System.nanoTime();
            System.out.printf("conmon + runc create %.1f ms, runc start %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
            Path log = dir.resolve(id + ".log");
            String text = awaitContent(log, "err");
            assertTrue(text.lines().anyMatch(l -> l.matches("\\S+ stdout F out")), text);
            assertTrue(text.lines().anyMatch(l -> l.matches("\\S+ stderr F err")), text);
            runc.kill(id, "KILL");
            OptionalInt code = OptionalInt.empty();
            for (int i = 0; i < 500 && code.isEmpty(); i++) {
                Thread.sleep(10);
                code = ExitFile.read(dir.resolve("exits"), id);
            }
            assertEquals(OptionalInt.of(137), code);
        } finally {
            try {
                runc.delete(id, true);
            } catch (Exception ignored) {
                // already deleted
            }
        }
    }

    @Test
    void aFailingCreateReportsTheRuntimesMessageAndLeavesNoConmon() throws Exception {
        String id = "bad" + System.nanoTime();
        Path bundle = bundle(id, List.of("/bin/sh"), false);
        ConmonException e = assertThrows(ConmonException.class,
                () -> ConmonLauncher.create(launch(id, bundle), Duration.ofSeconds(30), pid -> { }));
        System.out.println("create without a rootfs: " + e.getMessage());
        assertTrue(e.getMessage().contains("rootfs") || e.getMessage().contains("no such file"), e.getMessage());
        assertNoConmonFor(id, bundle);
    }

    @Test
    void aMissingExecutableFailsAtCreateWithTheRuntimesMessage() throws Exception {
        String id = "noexec" + System.nanoTime();
        Path bundle = bundle(id, List.of("/does-not-exist"), true);
        OciRuntimeCli runc = new OciRuntimeCli(RUNC.toString(), dir.resolve("runc-root").toString(), false);
        try {
            ConmonException e = assertThrows(ConmonException.class,
                    () -> ConmonLauncher.create(launch(id, bundle), Duration.ofSeconds(30), pid -> { }));
                        assertTrue(e.getMessage().contains("/does-not-exist"), e.getMessage());
            assertNoConmonFor(id, bundle);
            assertThrows(java.io.IOException.class, () -> runc.state(id), "the runtime keeps nothing");
        } finally {
            try {
                runc.delete(id, true);
            } catch (Exception ignored) {
                // never created
            }
        }
    }

    @Test
    void aFailingBeforeStartHookStopsConmonBeforeItCreatesAnything() throws Exception {
        String id = "hook" + System.nanoTime();
        Path bundle = bundle(id, List.of("/bin/sleep", "30"), true);
        OciRuntimeCli runc = new OciRuntimeCli(RUNC.toString(), dir.resolve("runc-root").toString(), false);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ConmonLauncher.create(launch(id, bundle), Duration.ofSeconds(30), pid -> {
                        throw new IllegalStateException("no cgroup for " + pid);
                    }));
            assertTrue(e.getMessage().startsWith("no cgroup for "), e.getMessage());
            Thread.sleep(200);
            assertTrue(Files.notExists(bundle.resolve("conmon-pidfile")), "conmon never went on");
            assertThrows(java.io.IOException.class, () -> runc.state(id));
        } finally {
            try {
                runc.delete(id, true);
            } catch (Exception ignored) {
                // never created
            }
        }
    }

    @Test
    void anInvalidRuntimePathFailsWithConmonsOwnMessage() throws Exception {
        String id = "nort" + System.nanoTime();
        Path bundle = bundle(id, List.of("/bin/sh"), true);
        ConmonLaunch good = launch(id, bundle);
        ConmonLaunch bad = new ConmonLaunch(good.conmonPath(), "/does/not/exist/runc", good.runtimeRoot(), id,
                good.containerName(), good.bundleDir(), good.containerPidFile(), good.conmonPidFile(), good.logPath(),
                good.exitDir(), good.socketDir(), good.logLevel(), good.persistDir(), false, false, false, -1, false,
                false, false, List.of());
        AtomicInteger hookPid = new AtomicInteger();
        ConmonException e = assertThrows(ConmonException.class,
                () -> ConmonLauncher.create(bad, Duration.ofSeconds(30), hookPid::set));
        assertTrue(e.getMessage().contains("Runtime path /does/not/exist/runc is not valid"), e.getMessage());
        Path cmdline = Path.of("/proc/" + hookPid.get() + "/cmdline");
        assertTrue(!running(cmdline, id), "conmon reaped");
    }

    @Test
    void conmonsStderrLosesItsPrefixes() throws Exception {
        Path f = dir.resolve("stderr");
        Files.writeString(f, "[conmon:e]: Runtime path /x is not valid No such file or directory\n");
        assertEquals("Runtime path /x is not valid No such file or directory",
                ConmonLauncher.stderrMessage(f).orElseThrow());
        Files.writeString(f, "\n");
        assertTrue(ConmonLauncher.stderrMessage(f).isEmpty());
    }

    @Test
    void readsThePidUnderEitherKey() throws Exception {
        assertEquals(42, ConmonLauncher.reportedPid(JSON.readTree("{\"pid\": 42}")));
        assertEquals(42, ConmonLauncher.reportedPid(JSON.readTree("{\"data\": 42}")));
        assertEquals(-1, ConmonLauncher.reportedPid(JSON.readTree("{\"data\": -1, \"message\": \"x\"}")));
        assertEquals(-1, ConmonLauncher.reportedPid(JSON.readTree("{\"message\": \"x\"}")));
    }

    private static void assertNoConmonFor(String id, Path bundle) throws Exception {
        Path conmonPid = bundle.resolve("conmon-pidfile");
        if (!Files.exists(conmonPid)) {
            return;
        }
        Path cmdline = Path.of("/proc/" + Files.readString(conmonPid).trim() + "/cmdline");
        for (int i = 0; i < 200 && running(cmdline, id); i++) {
            Thread.sleep(10);
        }
        assertTrue(!running(cmdline, id), "conmon for " + id + " still runs");
    }

    private static boolean running(Path cmdline, String id) {
        try {
            return Files.readString(cmdline).contains(id);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static String awaitContent(Path file, String needle) throws Exception {
        for (int i = 0; i < 500; i++) {
            if (Files.exists(file)) {
                String s = Files.readString(file);
                if (s.contains(needle)) {
                    return s;
                }
            }
            Thread.sleep(10);
        }
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
