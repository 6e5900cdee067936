package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.VersionRequest;
import io.crio.sys.UnixDatagram;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up, readiness, reload and shutdown of the real daemon process. */
class LifecycleIT {

    static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void notifiesSystemdOnceServingAndReloadsLogLevelOnSighup() throws Exception {
        Path notify = dir.resolve("notify.sock");
        Files.writeString(dir.resolve("crio.conf"), "[crio.runtime]\nlog_level = \"info\"\n");
        try (UnixDatagram.Receiver receiver = UnixDatagram.bind(notify.toString());
             CrioProcess crio = CrioProcess.start(dir, Map.of("NOTIFY_SOCKET", notify.toString()))) {
            String ready = new String(receiver.receive(START).orElseThrow(
                    () -> new AssertionError("no READY=1 datagram:\n" + crio.log())), StandardCharsets.UTF_8);
            assertTrue(ready.lines().anyMatch("READY=1"::equals), ready);
            // READY is sent only once the socket serves
            try (CriClient client = new CriClient(crio.socket())) {
                assertEquals("v1", client.runtime().version(VersionRequest.getDefaultInstance()).getRuntimeApiVersion());
                assertFalse(crio.log().contains("level=debug"), crio.log());

                Files.writeString(dir.resolve("crio.conf.d/50-debug.conf"), "[crio.runtime]\nlog_level = \"debug\"\n");
                crio.signal("HUP");
                assertTrue(crio.awaitLog("Set config crio.runtime.log_level to debug", START), crio.log());
                String reloading = new String(receiver.receive(START).orElseThrow(), StandardCharsets.UTF_8);
                assertTrue(reloading.contains("RELOADING=1"), reloading);
                client.runtime().version(VersionRequest.getDefaultInstance());
                assertTrue(crio.awaitLog("level=debug msg=\"Request: ", Duration.ofSeconds(5)), crio.log());

                // an invalid file on reload keeps the daemon and its settings
                Files.writeString(dir.resolve("crio.conf.d/60-bad.conf"), "[crio.runtime]\nlog_level = \"loud\"\n");
                crio.signal("HUP");
                assertTrue(crio.awaitLog("Configuration not reloaded", START), crio.log());
                assertEquals("v1", client.runtime().version(VersionRequest.getDefaultInstance()).getRuntimeApiVersion());
            }
            crio.signal("TERM");
            assertEquals(0, crio.awaitExit(START));
            String stopping = new String(receiver.receive(Duration.ofSeconds(5)).orElseThrow(), StandardCharsets.UTF_8);
            // the READY that follows a reload may come first
            while (!stopping.contains("STOPPING=1")) {
                stopping = new String(receiver.receive(Duration.ofSeconds(5)).orElseThrow(), StandardCharsets.UTF_8);
            }
        }
    }

    @Test
    void sigtermShutsDownCleanlyAndRemovesTheSocket() throws Exception {
        try (CrioProcess crio = CrioProcess.start(dir, Map.of()).awaitReady(START)) {
            assertTrue(Files.exists(crio.socket()));
            crio.signal("TERM");
            assertEquals(0, crio.awaitExit(START), crio.log());
            assertFalse(Files.exists(crio.socket()), "socket left behind");
            assertTrue(crio.log().contains("Stopped"), crio.log());
        }
    }

    @Test
    void theInstallersTrainingCallIsAnsweredAndFailsWithoutADaemon() throws Exception {
        try (CrioProcess crio = CrioProcess.start(dir, Map.of()).awaitReady(START)) {
            TrainingRun answered = trainingCall(crio.socket());
            assertEquals(0, answered.exitCode(), answered.output());
            assertTrue(answered.output().startsWith("cri-o "), answered.output());
        }
        TrainingRun refused = trainingCall(dir.resolve("absent.sock"));
        assertEquals(1, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("UNAVAILABLE"), refused.output());
    }

    record TrainingRun(int exitCode, String output) {}

    /** Runs the training call as scripts/install.sh does: the daemon's jar alone on the class path. */
    static TrainingRun trainingCall(Path socket) throws Exception {
        Process p = new ProcessBuilder(CrioProcess.javaBinary(), "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-cp", CrioProcess.jar().toString(),
                "io.crio.daemon.cli.TrainingCall", socket.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "training call still running: " + out);
        return new TrainingRun(p.exitValue(), out);
    }

    @Test
    void staleSocketFileIsReplaced() throws Exception {
        Path socket = CrioProcess.socketOf(dir);
        Files.createDirectories(socket.getParent());
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "a closed listener leaves its socket file");
        try (CrioProcess crio = CrioProcess.start(dir, Map.of()).awaitReady(START)) {
            assertTrue(Files.exists(crio.socket()));
        }
    }

    @Test
    void nonSocketFileAtTheSocketPathIsNotTouched() throws Exception {
        Path socket = CrioProcess.socketOf(dir);
        Files.createDirectories(socket.getParent());
        Files.writeString(socket, "precious");
        try (CrioProcess crio = CrioProcess.start(dir, Map.of())) {
            assertEquals(1, crio.awaitExit(START));
            assertTrue(crio.log().contains("not a socket"), crio.log());
        }
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void invalidConfigurationStopsStartupNamingFileAndKey() throws Exception {
        Path dropIn = Files.createDirectories(dir.resolve("crio.conf.d")).resolve("20-bad.conf");
        Files.writeString(dropIn, "[crio.runtime]\ncgroup_manager = \"upstart\"\n");
        try (CrioProcess crio = CrioProcess.start(dir, Map.of())) {
            assertEquals(1, crio.awaitExit(START));
            String log = crio.log();
            assertTrue(log.contains(dropIn.toString()) && log.contains("crio.runtime.cgroup_manager")
                    && log.contains("cgroupfs"), log);
        }
        assertFalse(Files.exists(CrioProcess.socketOf(dir)));
    }

    @Test
    void unknownKeysOnlyWarn() throws Exception {
        Files.writeString(dir.resolve("crio.conf"), "[crio.runtime]\nfuture_option = true\n");
        try (CrioProcess crio = CrioProcess.start(dir, Map.of()).awaitReady(START)) {
            assertTrue(crio.log().contains("level=warning") && crio.log().contains("crio.runtime.future_option"),
                    crio.log());
        }
    }
}
