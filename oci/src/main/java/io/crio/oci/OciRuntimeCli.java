package io.crio.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.sys.Spawn;
import io.crio.sys.SyscallException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The OCI runtime's command line (runc and crun share it): {@code start}, {@code kill}, {@code delete},
 * {@code state} and {@code update}, each run as {@code <runtime> --root <root> [--systemd-cgroup] <command>}.
 * A failing command throws an {@link IOException} carrying the runtime's own message.
 */
public final class OciRuntimeCli {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** Far more than any command prints ({@code state} prints a few hundred bytes). */
    private static final int MAX_OUTPUT_BYTES = 16 << 20;
    private static final int SIGKILL = 9;

    private final String runtimePath;
    private final String root;
    private final boolean systemdCgroup;
    private final Duration timeout;

    public OciRuntimeCli(String runtimePath, String root, boolean systemdCgroup) {
        this(runtimePath, root, systemdCgroup, DEFAULT_TIMEOUT);
    }

    /** A command line whose commands are killed when they run longer than {@code timeout}. */
    OciRuntimeCli(String runtimePath, String root, boolean systemdCgroup, Duration timeout) {
        this.runtimePath = runtimePath;
        this.root = root;
        this.systemdCgroup = systemdCgroup;
        this.timeout = timeout;
    }

    public void start(String id) throws IOException {
        run(List.of("start", id));
    }

    public void kill(String id, String signal) throws IOException {
        run(List.of("kill", id, signal));
    }

    /** Deletes the container; {@code force} also kills a running one. */
    public void delete(String id, boolean force) throws IOException {
        run(force ? List.of("delete", "--force", id) : List.of("delete", id));
    }

    public JsonNode state(String id) throws IOException {
        return JSON.readTree(run(List.of("state", id)));
    }

    /** Applies new resources ({@code linux.resources} JSON of the runtime spec) to a running container. */
    public void update(String id, byte[] resourcesJson) throws IOException {
        Path file = Files.createTempFile("crio-update-", ".json");
        try {
            Files.write(file, resourcesJson);
            run(List.of("update", "--resources", file.toString(), id));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(runtimePath);
        if (!root.isEmpty()) {
            cmd.add("--root");
            cmd.add(root);
        }
        if (systemdCgroup) {
            cmd.add("--systemd-cgroup");
        }
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Runs one command and returns its standard output. The runtime is started with posix_spawn(3) and read
     * through two pipes on the calling thread: no helper process, reaper thread or reader thread per call.
     */
    private byte[] run(List<String> args) throws IOException {
        List<String> cmd = command(args);
        long deadline = System.nanoTime() + timeout.toNanos();
        Spawn.Pipe out = Spawn.pipe();
        Spawn.Pipe err = null;
        int pid;
        try {
            err = Spawn.pipe();
            pid = Spawn.spawn(new Spawn.SpawnRequest(runtimePath, cmd, System.getenv(),
                    Map.of(1, out.writeFd(), 2, err.writeFd()), null, null, null, false));
        } catch (SyscallException e) {
            Spawn.close(out.readFd());
            Spawn.close(err == null ? -1 : err.readFd());
            throw new IOException("cannot run " + runtimePath + ": " + e.getMessage(), e);
        } finally {
            Spawn.close(out.writeFd());
            Spawn.close(err == null ? -1 : err.writeFd());
        }
        Spawn.Output output;
        try {
            output = Spawn.readBoth(out.readFd(), err.readFd(), timeout, MAX_OUTPUT_BYTES);
        } catch (Spawn.TimeoutException | IllegalStateException e) {
            killAndReap(pid);
            throw new IOException(String.join(" ", cmd) + " did not finish: " + e.getMessage(), e);
        } finally {
            Spawn.close(out.readFd());
            Spawn.close(err.readFd());
        }
        OptionalInt exit = Spawn.waitExit(pid, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        if (exit.isEmpty()) {
            killAndReap(pid);
            throw new IOException(String.join(" ", cmd) + " did not finish within " + timeout.toSeconds() + " s");
        }
        if (exit.getAsInt() != 0) {
            String message = new String(output.err(), StandardCharsets.UTF_8).trim();
            if (message.isEmpty()) {
                message = new String(output.out(), StandardCharsets.UTF_8).trim();
            }
            throw new IOException(runtimePath + " " + args.get(0) + " failed (exit " + exit.getAsInt() + "): " + message);
        }
        return output.out();
    }

    private static void killAndReap(int pid) {
        try {
            Spawn.kill(pid, SIGKILL);
        } catch (SyscallException gone) {
            // it ended meanwhile; it is reaped below
        }
        Spawn.waitExit(pid, Duration.ofSeconds(5));
    }
}
