package io.crio.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime's command line against stand-in runtimes: scripts that print, fail and hang as runc can. */
class OciRuntimeCliTest {

    @TempDir
    Path dir;

    private Path runtime(String body) throws IOException {
        return StandInScripts.write(dir, "runtime", body);
    }

    @Test
    void passesRootAndCgroupManagerBeforeTheCommand() throws Exception {
        Path args = dir.resolve("args");
        OciRuntimeCli cli = new OciRuntimeCli(runtime("echo \"$@\" > " + args).toString(), "/run/x", true);
        cli.kill("abc", "TERM");
        assertEquals("--root /run/x --systemd-cgroup kill abc TERM", Files.readString(args).trim());
    }

    @Test
    void stateParsesStandardOutputAndIgnoresWarningsOnStandardError() throws Exception {
        OciRuntimeCli cli = new OciRuntimeCli(runtime(
                "echo 'level=warning msg=\"noise\"' >&2; echo '{\"id\":\"abc\",\"status\":\"running\",\"pid\":42}'")
                .toString(), "", false);
        var state = cli.state("abc");
        assertEquals("running", state.get("status").asText());
        assertEquals(42, state.get("pid").asInt());
    }

    @Test
    void failureCarriesTheRuntimesMessageAndExitCode() throws Exception {
        OciRuntimeCli cli = new OciRuntimeCli(runtime("echo 'container \"abc\" does not exist' >&2; exit 3").toString(),
                "", false);
        IOException e = assertThrows(IOException.class, () -> cli.start("abc"));
        assertTrue(e.getMessage().contains("start failed (exit 3)"), e.getMessage());
        assertTrue(e.getMessage().contains("container \"abc\" does not exist"), e.getMessage());
    }

    @Test
    void failureWithoutStandardErrorCarriesStandardOutput() throws Exception {
        OciRuntimeCli cli = new OciRuntimeCli(runtime("echo 'only on stdout'; exit 1").toString(), "", false);
        IOException e = assertThrows(IOException.class, () -> cli.delete("abc", true));
        assertTrue(e.getMessage().endsWith("only on stdout"), e.getMessage());
    }

    @Test
    void largeOutputOnBothStreamsDoesNotBlockTheRuntime() throws Exception {
        // far more than a pipe buffer (64 KiB) on each stream, interleaved
        OciRuntimeCli cli = new OciRuntimeCli(runtime(
                "i=0; while [ $i -lt 3000 ]; do echo \"err line $i padding padding padding padding\" >&2;"
                        + " echo \"out line $i padding padding padding padding\"; i=$((i+1)); done; exit 2")
                .toString(), "", false, Duration.ofSeconds(30));
        IOException e = assertThrows(IOException.class, () -> cli.kill("abc", "KILL"));
        assertTrue(e.getMessage().contains("err line 2999"), "the whole of stderr is reported");
        assertFalse(e.getMessage().contains("out line"), "stdout is not the message when stderr has one");
    }

    @Test
    void aHangingRuntimeIsKilledAfterTheTimeout() throws Exception {
        Path pidFile = dir.resolve("pid");
        OciRuntimeCli cli = new OciRuntimeCli(runtime("echo $$ > " + pidFile + "; exec sleep 600").toString(), "", false,
                Duration.ofMillis(500));
        long t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> cli.start("abc"));
        assertTrue(e.getMessage().contains("did not finish within 500 ms and was killed"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "the runtime was killed and reaped");
    }

    @Test
    void aMissingRuntimeIsAnIoError() {
        OciRuntimeCli cli = new OciRuntimeCli(dir.resolve("no-such-runtime").toString(), "", false);
        IOException e = assertThrows(IOException.class, () -> cli.start("abc"));
        assertTrue(e.getMessage().contains("no-such-runtime"), e.getMessage());
    }

    @Test
    void updatePassesTheResourcesInAFileThatIsRemovedAfterwards() throws Exception {
        Path seen = dir.resolve("seen");
        OciRuntimeCli cli = new OciRuntimeCli(runtime("cat \"$3\" > " + seen + "; echo >> " + seen + "; echo \"$3\" >> " + seen).toString(),
                "", false);
        cli.update("abc", "{\"cpu\":{\"shares\":512}}".getBytes());
        List<String> lines = Files.readAllLines(seen);
        assertEquals("{\"cpu\":{\"shares\":512}}", lines.get(0));
        assertFalse(Files.exists(Path.of(lines.get(1))), "the resources file is removed");
    }
}
