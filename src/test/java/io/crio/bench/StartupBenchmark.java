package io.crio.bench;

import io.crio.api.v1.VersionRequest;
import io.crio.e2e.CriClient;
import io.crio.sys.UnixDatagram;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Start-up benchmark of the installed daemon (not a test): over N runs, the time from spawning
 * {@code crio} to READY=1 on $NOTIFY_SOCKET and to the first answered {@code Version}, and the resident
 * memory after idling. Usage: {@code StartupBenchmark [launcher] [runs] [idleSeconds]}.
 */
public final class StartupBenchmark {

    record Run(double readyMs, double versionMs, long rssKib) {}

    public static void main(String[] args) throws Exception {
        String launcher = args.length > 0 ? args[0] : "/usr/local/bin/crio";
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int idleSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        System.out.printf("launcher %s, %d runs, RSS read after %d s idle%n", launcher, runs, idleSeconds);
        once(launcher, 0); // warms this JVM's client code; not counted
        List<Run> results = new ArrayList<>();
        for (int i = 1; i <= runs; i++) {
            Run r = once(launcher, idleSeconds);
            results.add(r);
            System.out.printf("run %2d: READY %7.1f ms, Version answered %7.1f ms, idle RSS %6.1f MiB%n",
                    i, r.readyMs(), r.versionMs(), r.rssKib() / 1024.0);
        }
        report("READY=1 after spawn (ms)", results.stream().map(Run::readyMs).toList());
        report("first Version answered after spawn (ms)", results.stream().map(Run::versionMs).toList());
        report("idle RSS (MiB)", results.stream().map(r -> r.rssKib() / 1024.0).toList());
    }

    private static void report(String what, List<Double> values) {
        List<Double> sorted = values.stream().sorted(Comparator.naturalOrder()).toList();
        System.out.printf("%-42s min %7.1f  p50 %7.1f  p90 %7.1f  max %7.1f%n", what, sorted.get(0),
                pct(sorted, 0.5), pct(sorted, 0.9), sorted.get(sorted.size() - 1));
    }

    private static double pct(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static Run once(String launcher, int idleSeconds) throws Exception {
        Path dir = Files.createTempDirectory("crio-bench");
        Path socket = dir.resolve("crio.sock");
        Path notify = dir.resolve("notify.sock");
        try (UnixDatagram.Receiver receiver = UnixDatagram.bind(notify.toString())) {
            ProcessBuilder pb = new ProcessBuilder(launcher, "--config", "", "--config-dir", "",
                    "--listen", socket.toString(), "--root", dir.resolve("root").toString(),
                    "--runroot", dir.resolve("runroot").toString(), "--cni-config-dir", dir.resolve("net.d").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile());
            pb.environment().put("NOTIFY_SOCKET", notify.toString());
            long t0 = System.nanoTime();
            Process p = pb.start();
            try {
                String msg = new String(receiver.receive(Duration.ofSeconds(30)).orElseThrow(
                        () -> new IllegalStateException("no READY: " + read(dir.resolve("log")))), StandardCharsets.UTF_8);
                long tReady = System.nanoTime();
                if (!msg.contains("READY=1")) {
                    throw new IllegalStateException("unexpected notification " + msg);
                }
                long tVersion;
                try (CriClient c = new CriClient(socket)) {
                    c.runtime().version(VersionRequest.getDefaultInstance());
                    tVersion = System.nanoTime();
                }
                long rss = 0;
                if (idleSeconds > 0) {
                    Thread.sleep(idleSeconds * 1000L);
                    rss = rssKib(p.pid());
                }
                return new Run((tReady - t0) / 1e6, (tVersion - t0) / 1e6, rss);
            } finally {
                p.destroy();
                p.waitFor(15, TimeUnit.SECONDS);
                p.destroyForcibly();
                try (var s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }

    private static long rssKib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }
}
