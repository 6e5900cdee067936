package io.crio.bench;

import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.PullImageRequest;
import io.crio.e2e.CriClient;
import io.crio.e2e.CrioProcess;
import io.crio.e2e.registry.FixtureImages;
import io.crio.e2e.registry.PushedImage;
import io.crio.e2e.registry.RegistryPusher;
import io.crio.e2e.registry.RegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Image pull throughput of our daemon against Debian's skopeo (not a test). A local docker-registry on
 * 127.0.0.1 serves a ~200 MB image of 8 gzip layers of incompressible data; each round pulls it into an
 * empty store twice: through our daemon's CRI {@code PullImage} (the daemon started fresh, only the RPC
 * timed) and with {@code skopeo copy} into a containers-storage overlay store (the whole command timed).
 * The order alternates between rounds so neither always meets the warmer caches. Throughput is the
 * image's compressed layer bytes over wall time, in MB/s of 10^6 bytes.
 *
 * <p>Usage: {@code PullBenchmark [rounds]} (default 3), with {@code -Dcrio.jar=…/crio-daemon.jar}; as root.
 * {@code -Dbench.logDir=DIR} keeps the daemon's and skopeo's logs of every round.
 * See {@code scripts/bench-pull.sh}.
 */
public final class PullBenchmark {

    static final String REPOSITORY = "bench/large";
    static final String TAG = "1";
    static final int LAYERS = 8;
    static final long UNCOMPRESSED_BYTES = 200L * 1024 * 1024;
    static final Duration DAEMON_START = Duration.ofSeconds(60);
    static final Duration PULL_DEADLINE = Duration.ofMinutes(10);
    static final Path SKOPEO = Path.of("/usr/bin/skopeo");
    /** USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture we run on. */
    static final double CLOCK_TICKS = 100.0;

    /**
     * One timed pull: wall time, the puller's CPU time (user + system) during it, and what the puller said
     * about itself (a log line), if anything.
     */
    record Pull(double seconds, double cpuSeconds, String detail) {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1");
        }
        if (!Files.isExecutable(SKOPEO)) {
            throw new IllegalStateException(SKOPEO + " is missing: install Debian's skopeo");
        }
        Path work = Files.createTempDirectory("crio-bench-pull-");
        try (RegistryServer registry = RegistryServer.start()) {
            long t0 = System.nanoTime();
            PushedImage image = FixtureImages.large(RegistryPusher.of(registry), REPOSITORY, TAG, LAYERS, UNCOMPRESSED_BYTES);
            String ref = image.reference(registry.url());
            long bytes = image.totalCompressedSize();
            System.out.printf("image %s: %d layers, %d compressed bytes (%.1f MB), %d MiB uncompressed; pushed in %.1f s%n",
                    ref, image.layerDigests().size(), bytes, bytes / 1e6, UNCOMPRESSED_BYTES >> 20, secondsSince(t0));
            System.out.printf("%s; %d CPUs; work directory %s; %d rounds, order alternating%n",
                    skopeoVersion(), Runtime.getRuntime().availableProcessors(), work, rounds);

            Path registriesConf = work.resolve("registries.conf");
            Files.writeString(registriesConf, "unqualified-search-registries = []\n");
            Path authFile = work.resolve("auth.json");
            Files.writeString(authFile, "{\"auths\":{}}");

            List<Double> ours = new ArrayList<>();
            List<Double> theirs = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                boolean oursFirst = round % 2 == 1;
                Pull crio;
                Pull skopeo;
                if (oursFirst) {
                    crio = ours(work.resolve("round-" + round + "-crio"), ref, image, registriesConf);
                    skopeo = skopeo(work.resolve("round-" + round + "-skopeo"), ref, registriesConf, authFile);
                } else {
                    skopeo = skopeo(work.resolve("round-" + round + "-skopeo"), ref, registriesConf, authFile);
                    crio = ours(work.resolve("round-" + round + "-crio"), ref, image, registriesConf);
                }
                ours.add(crio.seconds());
                theirs.add(skopeo.seconds());
                System.out.printf("round %d (%s first): crio %7.2f s %7.1f MB/s (CPU %5.2f s) | "
                                + "skopeo %7.2f s %7.1f MB/s (CPU %5.2f s)%n",
                        round, oursFirst ? "crio" : "skopeo", crio.seconds(), bytes / crio.seconds() / 1e6,
                        crio.cpuSeconds(), skopeo.seconds(), bytes / skopeo.seconds() / 1e6, skopeo.cpuSeconds());
                if (!crio.detail().isEmpty()) {
                    System.out.println("    crio log: " + crio.detail());
                }
            }
            double mOurs = median(ours);
            double mTheirs = median(theirs);
            System.out.printf("median of %d: crio %.2f s (%.1f MB/s), skopeo %.2f s (%.1f MB/s); "
                            + "time ratio crio/skopeo %.2f (throughput ratio %.2f)%n",
                    rounds, mOurs, bytes / mOurs / 1e6, mTheirs, bytes / mTheirs / 1e6, mOurs / mTheirs, mTheirs / mOurs);
        } finally {
            unmountUnder(work);
            deleteTree(work);
        }
    }

    /** Our daemon, started fresh on an empty store in {@code dir}; only the PullImage call is timed. */
    private static Pull ours(Path dir, String ref, PushedImage image, Path registriesConf) throws Exception {
        Files.createDirectories(dir);
        String log;
        double seconds;
        double cpu;
        try (CrioProcess crio = CrioProcess.start(dir, Map.of("CONTAINERS_REGISTRIES_CONF", registriesConf.toString()))) {
            crio.awaitReady(DAEMON_START);
            try (CriClient client = new CriClient(crio.socket())) {
                PullImageRequest request = PullImageRequest.newBuilder()
                        .setImage(ImageSpec.newBuilder().setImage(ref)).build();
                long cpu0 = processTicks(ProcStat.of(crio.pid()));
                long t0 = System.nanoTime();
                String id = client.images().withDeadlineAfter(PULL_DEADLINE.toSeconds(), TimeUnit.SECONDS)
                        .pullImage(request).getImageRef();
                seconds = secondsSince(t0);
                cpu = (processTicks(ProcStat.of(crio.pid())) - cpu0) / CLOCK_TICKS;
                if (!id.equals(image.imageId())) {
                    throw new IllegalStateException("crio pulled " + id + ", expected " + image.imageId());
                }
            }
            log = crio.log();
        }
        keepLog(dir.getFileName() + ".log", log);
        checkLayers(dir.resolve("root"), "crio");
        String detail = log.lines().filter(l -> l.contains("Layers of ") && l.contains(" ready"))
                .map(l -> l.substring(l.indexOf("Layers of ")).replaceFirst("\".*", ""))
                .reduce((a, b) -> b).orElse("");
        removeStore(dir);
        return new Pull(seconds, cpu, detail);
    }

    /** {@code skopeo copy} into an empty containers-storage overlay store in {@code dir}; the whole command is timed. */
    private static Pull skopeo(Path dir, String ref, Path registriesConf, Path authFile) throws Exception {
        Path root = dir.resolve("root");
        Path runroot = dir.resolve("runroot");
        Files.createDirectories(root);
        Files.createDirectories(runroot);
        // our own storage.conf, so the host's (if any) plays no part; it says what the reference says
        Path storageConf = dir.resolve("storage.conf");
        Files.writeString(storageConf, """
                [storage]
                driver = "overlay"
                graphroot = "%s"
                runroot = "%s"
                """.formatted(root, runroot));
        List<String> cmd = List.of(SKOPEO.toString(), "--insecure-policy", "--registries-conf", registriesConf.toString(),
                "copy", "--src-tls-verify=false", "--src-no-creds",
                "docker://" + ref,
                "containers-storage:[overlay@" + root + "+" + runroot + "]" + REPOSITORY + ":" + TAG);
        Path out = dir.resolve("skopeo.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("REGISTRY_AUTH_FILE", authFile.toString());
        pb.environment().put("CONTAINERS_STORAGE_CONF", storageConf.toString());
        pb.environment().put("CONTAINERS_REGISTRIES_CONF", registriesConf.toString());
        Path self = Path.of("/proc/self/stat");
        long cpu0 = childTicks(self); // cutime + cstime: children waited for, here only skopeo
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(PULL_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("skopeo did not finish within " + PULL_DEADLINE + ": " + String.join(" ", cmd));
        }
        double seconds = secondsSince(t0);
        double cpu = (childTicks(self) - cpu0) / CLOCK_TICKS;
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n"
                    + Files.readString(out, StandardCharsets.UTF_8));
        }
        checkLayers(root, "skopeo");
        keepLog(dir.getFileName() + ".log", Files.readString(out, StandardCharsets.UTF_8));
        removeStore(dir);
        return new Pull(seconds, cpu, "");
    }

    /** The store must hold every layer, each an overlay layer directory (besides the link directory {@code l}). */
    private static void checkLayers(Path root, String who) throws IOException {
        Path overlay = root.resolve("overlay");
        long n;
        try (Stream<Path> s = Files.list(overlay)) {
            n = s.filter(p -> !p.getFileName().toString().equals("l") && Files.isDirectory(p.resolve("diff"))).count();
        }
        if (n != LAYERS) {
            throw new IllegalStateException(who + " left " + n + " layer directories in " + overlay + ", expected " + LAYERS);
        }
    }

    /** Unmounts anything still mounted under {@code dir} (saying so: a pull should mount nothing), then deletes it. */
    private static void removeStore(Path dir) throws IOException, InterruptedException {
        List<String> left = unmountUnder(dir);
        if (!left.isEmpty()) {
            System.out.println("    note: left mounted under " + dir + " and unmounted now: " + left);
        }
        deleteTree(dir);
    }

    /** Unmounts every mount point at or below {@code dir} listed in /proc/self/mounts, deepest first; returns them. */
    private static List<String> unmountUnder(Path dir) throws IOException, InterruptedException {
        String prefix = dir.toAbsolutePath().normalize().toString();
        List<String> points = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 1) {
                String point = unescapeMountField(f[1]);
                if (point.equals(prefix) || point.startsWith(prefix + "/")) {
                    points.add(point);
                }
            }
        }
        points.sort(Comparator.comparingInt(String::length).reversed());
        for (String point : points) {
            Process p = new ProcessBuilder("umount", point).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException("umount " + point + " failed: " + out.strip());
            }
        }
        return points;
    }

    /** /proc/self/mounts writes space, tab, newline and backslash as three-digit octal escapes. */
    private static String unescapeMountField(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Deletes a tree without following symbolic links (the overlay store's {@code l/} holds many). */
    private static void deleteTree(Path root) throws IOException {
        if (Files.notExists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** With {@code -Dbench.logDir=DIR}, keeps a puller's log there for a post-mortem. */
    private static void keepLog(String name, String text) throws IOException {
        String dir = System.getProperty("bench.logDir");
        if (dir != null && !dir.isEmpty()) {
            Files.createDirectories(Path.of(dir));
            Files.writeString(Path.of(dir, name), text);
        }
    }

    private static String skopeoVersion() {
        try {
            Process p = new ProcessBuilder(SKOPEO.toString(), "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor();
            return v;
        } catch (IOException | InterruptedException e) {
            return "skopeo (version unknown: " + e + ")";
        }
    }

    /** User + system time of a process, in clock ticks. */
    private static long processTicks(Path stat) throws IOException {
        long[] t = ProcStat.cpuTicks(stat);
        return t[0] + t[1];
    }

    /** User + system time of a process's children that were waited for, in clock ticks. */
    private static long childTicks(Path stat) throws IOException {
        long[] t = ProcStat.cpuTicks(stat);
        return t[2] + t[3];
    }

    private static double median(List<Double> values) {
        List<Double> s = values.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
