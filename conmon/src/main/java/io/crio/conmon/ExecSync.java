package io.crio.conmon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.sys.Spawn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Runs a command in a running container through conmon's exec mode ({@code -e --exec-process-spec}), as
 * CRI-O's ExecSync does: conmon runs {@code <runtime> exec}, writes the output in the CRI log format to a
 * file, enforces the timeout ({@code -T}) and reports the exit code on the sync pipe.
 */
public final class ExecSync {

    /** What conmon's exec mode reports when the timeout killed the command. */
    public static final String TIMED_OUT = "command timed out";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One exec: the container, its runtime, the process to run (an OCI {@code process} object) and limits. */
    public record Request(String conmonPath, String runtimePath, String runtimeRoot, String containerId,
                          String containerName, byte[] processJson, Path workDir, String socketDir, String logLevel,
                          long timeoutSeconds, boolean systemdCgroup, List<String> env, int maxOutputBytes) {}

    /** The outcome: exit code (-1 with {@link #TIMED_OUT} on stderr after a timeout) and the two streams. */
    public record Result(int exitCode, byte[] stdout, byte[] stderr) {}

    private ExecSync() {}

    public static Result run(Request r) throws ConmonException {
        Path dir;
        try {
            dir = Files.createTempDirectory(r.workDir(), "exec-");
        } catch (IOException e) {
            throw new ConmonException("cannot prepare the exec: " + e.getMessage(), e);
        }
        Path process = dir.resolve("process.json");
        Path pidFile = dir.resolve("pid");
        Path log = dir.resolve("exec.log");
        try {
            Files.write(process, r.processJson());
            List<String> argv = new ArrayList<>(List.of(r.conmonPath(),
                    "-c", r.containerId(), "-n", r.containerName(), "-r", r.runtimePath(), "-p", pidFile.toString(),
                    "-e", "-l", log.toString(), "--socket-dir-path", r.socketDir(),
                    "--log-level", r.logLevel().isEmpty() ? "info" : r.logLevel()));
            if (r.maxOutputBytes() > 0) {
                argv.addAll(List.of("--log-global-size-max", Integer.toString(r.maxOutputBytes())));
            }
            if (r.timeoutSeconds() > 0) {
                argv.addAll(List.of("-T", Long.toString(r.timeoutSeconds())));
            }
            if (r.systemdCgroup()) {
                argv.add("-s");
            }
            argv.addAll(List.of("--exec-process-spec", process.toString(), "--runtime-arg", "--root=" + r.runtimeRoot()));
            ConmonLaunch env = ConmonLaunch.builder().env(r.env()).build();

            Spawn.Pipe sync = Spawn.pipe();
            Spawn.Pipe start = Spawn.pipe();
            // each descriptor is closed exactly once: other execs reuse the numbers as soon as they are free
            int startWrite = start.writeFd();
            try {
                int pid;
                try {
                    pid = Spawn.spawn(new Spawn.SpawnRequest(r.conmonPath(), argv, ConmonLauncher.environment(env),
                            Map.of(3, sync.writeFd(), 4, start.readFd()), null, null, null, true, dir.toString()));
                } finally {
                    Spawn.close(sync.writeFd());
                    Spawn.close(start.readFd());
                }
                Spawn.writeFully(startWrite, new byte[] {0});
                Spawn.close(startWrite);
                startWrite = -1;
                // conmon's first process ends once the exec is under way; its report comes when the exec ended
                Duration wait = Duration.ofSeconds(r.timeoutSeconds() > 0 ? r.timeoutSeconds() + 30 : 24 * 3600L);
                long deadline = System.nanoTime() + wait.toNanos();
                OptionalInt exited = Spawn.waitExit(pid, wait);
                if (exited.isEmpty()) {
                    Spawn.killAndReap(pid);
                    throw new ConmonException("conmon did not finish the exec in time");
                }
                byte[] report;
                try {
                    report = Spawn.readAll(sync.readFd(),
                            Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())), 64 * 1024);
                } catch (Spawn.TimeoutException e) {
                    throw new ConmonException("conmon did not report the end of the exec in time", e);
                }
                JsonNode exit = exitReport(report);
                int code = exit.path("exit_code").asInt(-1);
                String message = exit.path("message").asText("");
                if (code == -1 && TIMED_OUT.equals(message)) {
                    return new Result(-1, new byte[0], TIMED_OUT.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                if (code == -1 && !message.isEmpty()) {
                    throw new ConmonException(message);
                }
                byte[] logBytes = Files.exists(log) ? Files.readAllBytes(log) : new byte[0];
                CriLog.Streams streams = CriLog.split(logBytes);
                return new Result(code, cap(streams.stdout(), r.maxOutputBytes()), cap(streams.stderr(), r.maxOutputBytes()));
            } finally {
                Spawn.close(sync.readFd());
                Spawn.close(startWrite);
            }
        } catch (IOException e) {
            throw new ConmonException("exec in container " + r.containerId() + " failed: " + e.getMessage(), e);
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.deleteIfExists(p);
                }
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // temporary files only
            }
        }
    }

    /** The last report with an exit code among the JSON objects conmon wrote. */
    static JsonNode exitReport(byte[] report) throws ConmonException {
        JsonNode found = null;
        try (MappingIterator<JsonNode> it = JSON.readerFor(JsonNode.class).readValues(report)) {
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n.has("exit_code")) {
                    found = n;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new ConmonException("unreadable exec report from conmon: " + new String(report,
                    java.nio.charset.StandardCharsets.UTF_8), e);
        }
        if (found == null) {
            throw new ConmonException("conmon reported no exit code for the exec: " + new String(report,
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        return found;
    }

    private static byte[] cap(byte[] b, int max) {
        return max > 0 && b.length > max ? java.util.Arrays.copyOf(b, max) : b;
    }
}
