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
    /** How long output held open by something the runtime left running is waited for once it has exited. */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(2);

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
        start(id, () -> { });
    }

    /**
     * Starts the container, running {@code whileStarting} on the calling thread while the runtime does; it
     * must not throw (what it throws kills the runtime's process and propagates).
     */
    public void start(String id, Runnable whileStarting) throws IOException {
        run(List.of("start", id), whileStarting);
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
        return run(args, () -> { });
    }

    private byte[] run(List<String> args, Runnable whileRunning) throws IOException {
        List<String> cmd = command(args);
        Spawn.Finished done;
        try {
            done = Spawn.runToEnd(new Spawn.SpawnRequest(runtimePath, cmd, System.getenv(), Map.of(), null, null, null,
                    false), timeout, MAX_OUTPUT_BYTES, MAX_OUTPUT_BYTES, OUTPUT_GRACE, whileRunning);
        } catch (SyscallException e) {
            throw new IOException("cannot run " + runtimePath + ": " + e.getMessage(), e);
        }
        if (done.timedOut()) {
            throw new IOException(String.join(" ", cmd) + " did not finish within " + timeout.toMillis()
                    + " ms and was killed");
        }
        if (done.exitCode() != 0) {
            String message = new String(done.err(), StandardCharsets.UTF_8).trim();
            if (message.isEmpty()) {
                message = new String(done.out(), StandardCharsets.UTF_8).trim();
            }
            throw new IOException(runtimePath + " " + args.get(0) + " failed (exit " + done.exitCode() + "): " + message);
        }
        if (done.outTruncated()) {
            throw new IOException(String.join(" ", cmd) + " printed more than " + MAX_OUTPUT_BYTES + " bytes");
        }
        return done.out();
    }
}
