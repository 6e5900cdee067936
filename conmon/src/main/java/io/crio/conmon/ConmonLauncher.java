package io.crio.conmon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.oci.OciRuntimeCli;
import io.crio.sys.Spawn;
import io.crio.sys.SyscallException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.IntConsumer;

/**
 * Creates a container through conmon as CRI-O does: conmon gets a sync pipe as descriptor 3
 * ({@code _OCI_SYNCPIPE}) and a start pipe as descriptor 4 ({@code _OCI_STARTPIPE}); the caller places
 * conmon in its cgroup before the start pipe lets it go on; conmon runs {@code <runtime> create}, and
 * reports the container's pid, or the runtime's error, as JSON on the sync pipe.
 */
public final class ConmonLauncher {

    /** A created (not yet started) container and the conmon monitoring it. */
    public record Created(int containerPid, int conmonPid) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_SYNC_BYTES = 64 * 1024;

    private ConmonLauncher() {}

    public static Created create(ConmonLaunch launch, Duration timeout, IntConsumer beforeStart) throws ConmonException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Spawn.Pipe sync = Spawn.pipe();
        Spawn.Pipe start;
        try {
            start = Spawn.pipe();
        } catch (RuntimeException e) {
            Spawn.close(sync.readFd());
            Spawn.close(sync.writeFd());
            throw e;
        }
        int pid;
        try {
            List<String> argv = new ArrayList<>();
            argv.add(launch.conmonPath());
            argv.addAll(launch.arguments());
            pid = Spawn.spawn(new Spawn.SpawnRequest(launch.conmonPath(), argv, environment(launch),
                    Map.of(3, sync.writeFd(), 4, start.readFd()), null, null, null, true, launch.bundleDir()));
        } catch (SyscallException e) {
            Spawn.close(sync.readFd());
            Spawn.close(start.writeFd());
            throw new ConmonException("cannot start conmon " + launch.conmonPath() + ": " + e.getMessage(), e);
        } finally {
            Spawn.close(sync.writeFd());
            Spawn.close(start.readFd());
        }
        boolean ok = false;
        boolean forked = false;
        try {
            try {
                beforeStart.accept(pid);
            } catch (RuntimeException | Error e) {
                // conmon reads end of file on the start pipe as a go-ahead: stop it before the pipe closes
                killQuietly(pid);
                throw e;
            }
            try {
                Spawn.writeFully(start.writeFd(), new byte[] {0});
            } finally {
                Spawn.close(start.writeFd());
            }
            OptionalInt parentExit = Spawn.waitExit(pid, remaining(deadline));
            if (parentExit.isEmpty()) {
                throw new ConmonException("create container timeout: conmon did not finish its set-up within "
                        + timeout.toSeconds() + " s");
            }
            forked = true;
            if (parentExit.getAsInt() != 0) {
                throw new ConmonException(syncMessage(sync.readFd(), Duration.ofMillis(200))
                        .orElse("conmon exited with status " + parentExit.getAsInt()));
            }
            JsonNode report = readReport(sync.readFd(), remaining(deadline));
            int containerPid = reportedPid(report);
            if (containerPid <= 0) {
                String message = report.path("message").asText("");
                throw new ConmonException(message.isEmpty() ? "container create failed" : message.trim());
            }
            Created created = new Created(containerPid, readPid(Path.of(launch.conmonPidFile())));
            ok = true;
            return created;
        } catch (Spawn.TimeoutException e) {
            throw new ConmonException("create container timeout: " + e.getMessage(), e);
        } finally {
            Spawn.close(sync.readFd());
            if (!ok) {
                killQuietly(pid);
                killQuietly(readPidQuietly(Path.of(launch.conmonPidFile())));
                if (forked) {
                    deleteQuietly(launch);
                }
            }
        }
    }

    /**
     * The pid in conmon's report: {@code pid} as conmon 2.x sends it by default, or {@code data} as it sends
     * it with {@code --api-version 1}; -1 when neither is a number.
     */
    static int reportedPid(JsonNode report) {
        JsonNode pid = report.has("pid") ? report.get("pid") : report.path("data");
        return pid.canConvertToInt() ? pid.asInt() : -1;
    }

    /** Removes whatever the runtime may have left of a create that did not complete; errors are expected. */
    private static void deleteQuietly(ConmonLaunch launch) {
        if (launch.runtimePath().isEmpty()) {
            return;
        }
        try {
            new OciRuntimeCli(launch.runtimePath(), launch.runtimeRoot(), launch.systemdCgroup())
                    .delete(launch.containerId(), true);
        } catch (IOException | RuntimeException e) {
            // the runtime never created it, or removed it itself after failing
        }
    }

    static Map<String, String> environment(ConmonLaunch launch) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : launch.env()) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        env.put("CRI_O_EXTERNAL", "1");
        String path = System.getenv("PATH");
        env.put("PATH", path == null ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path);
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null) {
            env.put("XDG_RUNTIME_DIR", xdg);
        }
        env.put("_OCI_SYNCPIPE", "3");
        env.put("_OCI_STARTPIPE", "4");
        return env;
    }

    /** Reads one JSON object from the sync pipe. */
    static JsonNode readReport(int fd, Duration timeout) throws ConmonException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            byte[] chunk = Spawn.readSome(fd, remaining(deadline), 4096);
            if (chunk.length == 0) {
                throw new ConmonException(buf.size() == 0
                        ? "conmon ended without reporting the container (it probably failed; see its log)"
                        : "conmon sent an incomplete report: " + buf);
            }
            buf.write(chunk, 0, chunk.length);
            if (buf.size() > MAX_SYNC_BYTES) {
                throw new ConmonException("conmon's report is larger than " + MAX_SYNC_BYTES + " bytes");
            }
            try {
                return JSON.readTree(buf.toByteArray());
            } catch (IOException incomplete) {
                // wait for the rest of the object
            }
        }
    }

    private static java.util.Optional<String> syncMessage(int fd, Duration timeout) {
        try {
            String m = readReport(fd, timeout).path("message").asText("");
            return m.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(m.trim());
        } catch (ConmonException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
    }

    static int readPid(Path file) throws ConmonException {
        try {
            return Integer.parseInt(Files.readString(file).trim());
        } catch (IOException | NumberFormatException e) {
            throw new ConmonException("cannot read conmon's pid from " + file + ": " + e.getMessage(), e);
        }
    }

    private static int readPidQuietly(Path file) {
        try {
            return Integer.parseInt(Files.readString(file).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static void killQuietly(int pid) {
        if (pid <= 0) {
            return;
        }
        try {
            Spawn.kill(pid, 9);
        } catch (RuntimeException e) {
            // already gone
        }
        try {
            Spawn.waitExit(pid, Duration.ZERO);
        } catch (RuntimeException e) {
            // not our child (conmon's daemonized half): init reaps it
        }
    }
}
