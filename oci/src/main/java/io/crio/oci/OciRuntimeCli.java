package io.crio.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The OCI runtime's command line (runc and crun share it): {@code start}, {@code kill}, {@code delete},
 * {@code state} and {@code update}, each run as {@code <runtime> --root <root> [--systemd-cgroup] <command>}.
 * A failing command throws an {@link IOException} carrying the runtime's own message.
 */
public final class OciRuntimeCli {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 60;

    private final String runtimePath;
    private final String root;
    private final boolean systemdCgroup;

    public OciRuntimeCli(String runtimePath, String root, boolean systemdCgroup) {
        this.runtimePath = runtimePath;
        this.root = root;
        this.systemdCgroup = systemdCgroup;
    }

    public void start(String id) throws IOException {
        run(List.of("start", id), null);
    }

    public void kill(String id, String signal) throws IOException {
        run(List.of("kill", id, signal), null);
    }

    /** Deletes the container; {@code force} also kills a running one. */
    public void delete(String id, boolean force) throws IOException {
        run(force ? List.of("delete", "--force", id) : List.of("delete", id), null);
    }

    public JsonNode state(String id) throws IOException {
        return JSON.readTree(run(List.of("state", id), null));
    }

    /** Applies new resources ({@code linux.resources} JSON of the runtime spec) to a running container. */
    public void update(String id, byte[] resourcesJson) throws IOException {
        Path file = Files.createTempFile("crio-update-", ".json");
        try {
            Files.write(file, resourcesJson);
            run(List.of("update", "--resources", file.toString(), id), null);
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

    private byte[] run(List<String> args, byte[] stdin) throws IOException {
        Process p = new ProcessBuilder(command(args)).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        byte[][] err = new byte[1][];
        Thread errReader = Thread.ofVirtual().start(() -> err[0] = readQuietly(p.getErrorStream()));
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command(args)) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            errReader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while running " + runtimePath, e);
        }
        if (p.exitValue() != 0) {
            String message = new String(err[0] == null ? new byte[0] : err[0], StandardCharsets.UTF_8).trim();
            if (message.isEmpty()) {
                message = new String(out, StandardCharsets.UTF_8).trim();
            }
            throw new IOException(runtimePath + " " + args.get(0) + " failed (exit " + p.exitValue() + "): " + message);
        }
        return out;
    }

    private static byte[] readQuietly(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
