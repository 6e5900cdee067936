package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.VersionRequest;
import io.crio.api.v1.VersionResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged launcher ({@code packaging/crio.sh}, installed as {@code /usr/local/bin/crio}) runs the built
 * daemon with the JVM flags it ships with: the JVM accepts them and the daemon serves.
 */
class LauncherIT {

    @TempDir
    Path tmp;

    /** The launcher as the installer writes it, pointing at the built jar and this JVM (no AOT cache). */
    private Path launcher() throws Exception {
        Path script = Path.of(System.getProperty("crio.repo", "."), "packaging/crio.sh");
        String text = Files.readString(script)
                .replace("@JAVA@", CrioProcess.javaBinary())
                .replace("@LIB@", CrioProcess.jar().getParent().toString());
        Path out = tmp.resolve("crio");
        Files.writeString(out, text);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
        return out;
    }

    @Test
    void servesWithTheShippedJvmFlags() throws Exception {
        Path launcher = launcher();
        try (CrioProcess crio = CrioProcess.start(launcher.toString(), tmp.resolve("d"), Map.of())
                .awaitReady(Duration.ofSeconds(60));
             CriClient client = new CriClient(crio.socket())) {
            VersionResponse v = client.runtime().version(VersionRequest.getDefaultInstance());
            assertEquals("cri-o", v.getRuntimeName());
            // the launcher execs the JVM: the daemon's process is java, with the launcher's flags
            List<String> cmdline = Arrays.asList(Files.readString(Path.of("/proc", Long.toString(crio.pid()), "cmdline"))
                    .split("\0"));
            assertTrue(cmdline.contains("-XX:TieredStopAtLevel=1") && cmdline.contains("-XX:CompileThresholdScaling=0.03")
                    && cmdline.contains("-XX:Tier3LoadFeedback=50")
                    && cmdline.contains("-Djdk.reflect.useNativeAccessorOnly=true"), cmdline.toString());
            assertTrue(cmdline.contains(CrioProcess.jar().toString()), cmdline.toString());
            // the compiler thread yields to the threads serving calls
            assertEquals(2, niceOf(crio.pid(), "C1 CompilerThre"));
            assertEquals(0, niceOf(crio.pid(), "crio-main"));
        }
    }

    /** The nice value of the daemon's thread named {@code name} (as /proc shows names: 15 characters at most). */
    private static int niceOf(long pid, String name) throws Exception {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (java.nio.file.NoSuchFileException ended) {
                    continue; // a thread that ended since the listing
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                if (stat.substring(open + 1, close).equals(name)) {
                    // after the name: state is field 3, nice field 19
                    return Integer.parseInt(stat.substring(close + 2).split(" ")[16]);
                }
            }
        }
        throw new AssertionError("no thread " + name + " in process " + pid);
    }

    @Test
    void answersVersionAndHelpWithoutStartingTheDaemon() throws Exception {
        Path launcher = launcher();
        Process p = new ProcessBuilder(launcher.toString(), "--version").redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.startsWith("crio version "), out);
        Process bad = new ProcessBuilder(launcher.toString(), "--no-such-option").redirectErrorStream(true).start();
        assertTrue(bad.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, bad.exitValue());
    }
}
