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
    private static final int SIGKILL = 9;

    private ConmonLauncher() {}

    /**
     * Starts conmon for {@code launch} and waits until the runtime has created the container (not started
     * it): {@link #spawn} followed by {@link Spawned#proceed}.
     */
    public static Created create(ConmonLaunch launch, Duration timeout, IntConsumer beforeStart) throws ConmonException {
        try (Spawned spawned = spawn(launch)) {
            return spawned.proceed(timeout, beforeStart);
        }
    }

    /**
     * Spawns conmon for {@code launch}; it parses its arguments, opens the container's log file and then
     * waits on the start pipe, before it forks anything or runs the runtime. The caller may prepare the
     * bundle ({@code config.json}, the root file system) meanwhile, then lets it go on with
     * {@link Spawned#proceed}, or closes the handle to kill it. The bundle directory and the log file's
     * directory must exist.
     *
     * @throws ConmonException when conmon cannot be started
     */
    public static Spawned spawn(ConmonLaunch launch) throws ConmonException {
        Path stderr = stderrFile();
        int syncRead = -1;
        int startWrite = -1;
        int syncWrite = -1;
        int startRead = -1;
        boolean ok = false;
        try {
            Spawn.Pipe sync = Spawn.pipe();
            syncRead = sync.readFd();
            syncWrite = sync.writeFd();
            Spawn.Pipe start = Spawn.pipe();
            startRead = start.readFd();
            startWrite = start.writeFd();
            List<String> argv = new ArrayList<>();
            argv.add(launch.conmonPath());
            argv.addAll(launch.arguments());
            int pid = Spawn.spawn(new Spawn.SpawnRequest(launch.conmonPath(), argv, environment(launch),
                    Map.of(3, syncWrite, 4, startRead), null, null, stderr.toString(), true, launch.bundleDir()));
            Spawned spawned = new Spawned(launch, pid, syncRead, startWrite, stderr);
            syncRead = -1;
            startWrite = -1;
            ok = true;
            return spawned;
        } catch (SyscallException e) {
            throw new ConmonException("cannot start conmon " + launch.conmonPath() + ": " + e.getMessage(), e);
        } finally {
            Spawn.close(syncWrite);
            Spawn.close(startRead);
            Spawn.close(syncRead);
            Spawn.close(startWrite);
            if (!ok) {
                deleteQuietly(stderr);
            }
        }
    }

    /**
     * A conmon waiting on its start pipe. {@link #proceed} lets it create the container; {@link #close}
     * kills it if it was never let go (and cleans up after a failed {@link #proceed} either way).
     */
    public static final class Spawned implements AutoCloseable {
        private final ConmonLaunch launch;
        private final int pid;
        private final Path stderr;
        private int syncRead;
        private int startWrite;
        private boolean reaped;
        private boolean done;

        private Spawned(ConmonLaunch launch, int pid, int syncRead, int startWrite, Path stderr) {
            this.launch = launch;
            this.pid = pid;
            this.syncRead = syncRead;
            this.startWrite = startWrite;
            this.stderr = stderr;
        }

        /**
         * Lets conmon go on and waits until the runtime has created the container. {@code beforeStart} gets
         * conmon's pid first, while it still waits and has forked nothing: what it joins (a cgroup) the
         * daemonized conmon, the runtime and the container inherit. If the hook throws, conmon is killed
         * before it goes on and the hook's exception propagates. On any failure no conmon is left and
         * whatever the runtime created is deleted.
         *
         * @throws ConmonException with the runtime's (or conmon's) own message when the create fails or
         *     does not finish within {@code timeout}
         */
        public Created proceed(Duration timeout, IntConsumer beforeStart) throws ConmonException {
            if (done) {
                throw new IllegalStateException("conmon for " + launch.containerId() + " was already let go");
            }
            done = true;
            long deadline = System.nanoTime() + timeout.toNanos();
            boolean forked = false;
            boolean ok = false;
            try {
                try {
                    beforeStart.accept(pid);
                } catch (RuntimeException | Error e) {
                    // conmon takes end of file on the start pipe as a go-ahead too: stop it before the pipe closes
                    Spawn.killAndReap(pid);
                    reaped = true;
                    throw e;
                }
                try {
                    Spawn.writeFully(startWrite, new byte[] {0});
                } catch (SyscallException e) {
                    // conmon already ended (EPIPE): its exit status and stderr say why
                } finally {
                    Spawn.close(startWrite);
                    startWrite = -1;
                }
                OptionalInt parentExit = Spawn.waitExit(pid, remaining(deadline));
                if (parentExit.isEmpty()) {
                    throw new ConmonException("create container timeout: conmon did not finish its set-up within "
                            + timeout.toSeconds() + " s");
                }
                reaped = true;
                if (parentExit.getAsInt() != 0) {
                    throw new ConmonException(syncMessage(syncRead, Duration.ofMillis(200))
                            .or(() -> stderrMessage(stderr))
                            .orElse("conmon exited with status " + parentExit.getAsInt()));
                }
                forked = true;
                JsonNode report = readReport(syncRead, remaining(deadline));
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
                if (!ok) {
                    if (!reaped) {
                        Spawn.killAndReap(pid);
                        reaped = true;
                    }
                    killDaemon(launch);
                    if (forked) {
                        deleteQuietly(launch);
                    }
                }
                release();
            }
        }

        /** Kills conmon if it was never let go; releases the pipes and the stderr file. Idempotent. */
        @Override
        public void close() {
            if (!done) {
                done = true;
                Spawn.killAndReap(pid);
                reaped = true;
            }
            release();
        }

        private void release() {
            Spawn.close(syncRead);
            syncRead = -1;
            Spawn.close(startWrite);
            startWrite = -1;
            deleteQuietly(stderr);
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

    /**
     * Kills the daemonized conmon named by the conmon pid file, if that pid still is conmon for this
     * container (it is not this process's child, so the pid could have been reused).
     */
    private static void killDaemon(ConmonLaunch launch) {
        if (launch.conmonPidFile().isEmpty()) {
            return;
        }
        int pid = readPidQuietly(Path.of(launch.conmonPidFile()));
        if (pid <= 0) {
            return;
        }
        try {
            String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
            if (cmdline.contains("\0" + launch.containerId() + "\0")) {
                Spawn.kill(pid, SIGKILL);
            }
        } catch (IOException | RuntimeException e) {
            // it ended by itself
        }
    }

    private static Path stderrFile() throws ConmonException {
        try {
            return Files.createTempFile("conmon-", ".stderr");
        } catch (IOException e) {
            throw new ConmonException("cannot create a file for conmon's stderr: " + e.getMessage(), e);
        }
    }

    /** What conmon wrote to stderr before it failed, without its {@code [conmon:e]: } prefixes. */
    static java.util.Optional<String> stderrMessage(Path file) {
        try {
            byte[] raw = Files.readAllBytes(file);
            String text = new String(raw, 0, Math.min(raw.length, MAX_SYNC_BYTES), java.nio.charset.StandardCharsets.UTF_8);
            String message = text.lines().map(l -> l.replaceFirst("^\\[conmon:[a-z]\\]: ", "").trim())
                    .filter(l -> !l.isEmpty()).collect(java.util.stream.Collectors.joining("; "));
            return message.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(message);
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a leftover temporary file
        }
    }
}
