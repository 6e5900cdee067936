package io.crio.e2e;

import io.crio.api.v1.VersionRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real daemon as a child process: the packaged jar, started with its own config file, drop-in
 * directory, socket and state directories under a test's temporary directory. Its log goes to a file.
 */
public final class CrioProcess implements AutoCloseable {

    private final Path dir;
    private final Process process;
    private final Path log;

    private CrioProcess(Path dir, Process process, Path log) {
        this.dir = dir;
        this.process = process;
        this.log = log;
    }

    /** The socket path a test directory's daemon uses. */
    public static Path socketOf(Path dir) {
        return dir.resolve("run/crio.sock");
    }

    /**
     * Starts the daemon with {@code dir/crio.conf} (written by the caller or absent), drop-ins in
     * {@code dir/crio.conf.d}, and extra flags.
     */
    public static CrioProcess start(Path dir, Map<String, String> env, String... flags) throws IOException {
        return start(System.getProperty("crio.launcher", ""), dir, env, flags);
    }

    /**
     * As {@link #start(Path, Map, String...)}, through the launcher script {@code launcher} (the packaged
     * {@code crio}, with its JVM flags) instead of {@code java -jar}; an empty launcher means {@code java -jar}.
     */
    public static CrioProcess start(String launcher, Path dir, Map<String, String> env, String... flags)
            throws IOException {
        Files.createDirectories(dir.resolve("crio.conf.d"));
        if (Files.notExists(dir.resolve("crio.conf"))) {
            Files.createFile(dir.resolve("crio.conf"));
        }
        // extra daemon JVM options: the property, or the environment variable when they hold spaces
        String extra = System.getProperty("crio.daemonJavaOpts", System.getenv().getOrDefault("CRIO_DAEMON_JAVA_OPTS", "")).trim();
        List<String> cmd = new ArrayList<>();
        Map<String, String> launchEnv = new java.util.HashMap<>();
        if (!launcher.isEmpty()) {
            // the installed launcher, with its own JVM flags (and AOT cache); extra options through CRIO_JAVA_OPTS
            cmd.add(launcher);
            if (!extra.isEmpty()) {
                launchEnv.put("CRIO_JAVA_OPTS", extra);
            }
        } else {
            cmd.addAll(List.of(javaBinary(), "-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "--sun-misc-unsafe-memory-access=allow"));
            if (!extra.isEmpty()) {
                cmd.addAll(List.of(extra.split("\\s+")));
            }
            cmd.addAll(List.of("-jar", jar().toString()));
        }
        cmd.addAll(List.of(
                "--config", dir.resolve("crio.conf").toString(),
                "--config-dir", dir.resolve("crio.conf.d").toString(),
                "--listen", socketOf(dir).toString(),
                "--root", dir.resolve("root").toString(),
                "--runroot", dir.resolve("runroot").toString()));
        cmd.addAll(List.of(flags));
        Path log = dir.resolve("crio-" + System.nanoTime() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("NOTIFY_SOCKET");
        pb.environment().putAll(launchEnv);
        pb.environment().putAll(env);
        return new CrioProcess(dir, pb.start(), log);
    }

    public static Path jar() {
        String p = System.getProperty("crio.jar");
        if (p == null) {
            throw new IllegalStateException("system property crio.jar is not set (run through Maven failsafe)");
        }
        return Path.of(p);
    }

    public static String javaBinary() {
        return System.getProperty("crio.java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    public Path socket() {
        return socketOf(dir);
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Waits until the socket answers {@code Version}; fails with the daemon's log when it does not. */
    public CrioProcess awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("crio exited with " + process.exitValue() + ":\n" + log());
            }
            if (Files.exists(socket())) {
                try (CriClient c = new CriClient(socket())) {
                    c.runtime().withDeadlineAfter(2, TimeUnit.SECONDS).version(VersionRequest.getDefaultInstance());
                    return this;
                } catch (RuntimeException e) {
                    last = e;
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("crio did not answer within " + timeout + " (" + last + "):\n" + log());
    }

    /** Waits for the log to contain {@code text}. */
    public boolean awaitLog(String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (log().contains(text)) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    public void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -s " + name + " failed");
        }
    }

    /** Waits for the process to exit and returns its exit code. */
    public int awaitExit(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("crio did not exit within " + timeout + ":\n" + log());
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
