package io.crio.e2e.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code skopeo}, an independent client to check that fixtures are well-formed. Runs with an
 * empty auth file of its own (so host logins never leak in) and {@code --insecure-policy}.
 */
public final class Skopeo {

    public static final Path BINARY = Path.of("/usr/bin/skopeo");

    public record Result(List<String> command, int exit, String stdout, String stderr) {
        public boolean ok() {
            return exit == 0;
        }

        /** stdout, or an AssertionError with the command and stderr. */
        public String orThrow() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exit + ": " + stderr.strip());
            }
            return stdout;
        }
    }

    private final Path authFile;

    public Skopeo(Path workDir) throws IOException {
        this.authFile = workDir.resolve("skopeo-auth.json");
        Files.writeString(authFile, "{\"auths\":{}}");
    }

    public static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    /** {@code skopeo inspect --tls-verify=false [extra…] docker://ref}; {@code creds} "user:pass" or null. */
    public Result inspect(String reference, String creds, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("inspect", "--tls-verify=false"));
        cmd.add(creds == null ? "--no-creds" : "--creds=" + creds);
        cmd.addAll(List.of(extra));
        cmd.add("docker://" + reference);
        return run(cmd);
    }

    /** {@code skopeo copy docker://ref oci:dir:tag}. */
    public Result copyToOci(String reference, String creds, Path ociDir, String tag) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("copy", "--src-tls-verify=false"));
        cmd.add(creds == null ? "--src-no-creds" : "--src-creds=" + creds);
        cmd.add("docker://" + reference);
        cmd.add("oci:" + ociDir + ":" + tag);
        return run(cmd);
    }

    public Result run(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--insecure-policy"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("REGISTRY_AUTH_FILE", authFile.toString());
        Path out = Files.createTempFile(authFile.getParent(), "skopeo-", ".out");
        Path err = Files.createTempFile(authFile.getParent(), "skopeo-", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        try {
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IOException("skopeo timed out: " + String.join(" ", cmd));
            }
            return new Result(cmd, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running skopeo", e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
