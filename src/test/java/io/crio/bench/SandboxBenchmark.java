package io.crio.bench;

import io.crio.api.v1.LinuxPodSandboxConfig;
import io.crio.api.v1.LinuxSandboxSecurityContext;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.NamespaceOption;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.RemovePodSandboxRequest;
import io.crio.api.v1.RunPodSandboxRequest;
import io.crio.api.v1.StopPodSandboxRequest;
import io.crio.cni.CniConfigLoader;
import io.crio.cni.CniExecutor;
import io.crio.cni.NetworkConfigList;
import io.crio.cni.RuntimeConf;
import io.crio.e2e.CriClient;
import io.crio.e2e.CrioProcess;
import io.crio.e2e.registry.FixtureImages;
import io.crio.e2e.registry.RegistryPusher;
import io.crio.e2e.registry.RegistryServer;
import io.crio.sys.NamespacePinner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pod sandbox lifecycle cost (not a test). Starts the daemon on a temporary root with a bridge +
 * host-local + portmap network, then drives RunPodSandbox / StopPodSandbox / RemovePodSandbox over the
 * socket: N cycles one after another, then the same number spread over 10 concurrent clients, then N
 * cycles of pods that share a PID namespace (an infra container from a pause image on a local registry). Prints
 * p50/p90/max per RPC as the client sees it, the daemon's own split of RunPodSandbox (namespaces, CNI ADD,
 * state write, from its log), and the floor: the same conflist's ADD and DEL run directly by this process
 * on a namespace it pinned itself.
 *
 * <p>Usage: {@code SandboxBenchmark [cycles]} (default 50), with {@code -Dcrio.jar=…}; as root. See
 * {@code scripts/bench-sandbox.sh}.
 */
public final class SandboxBenchmark {

    static final int CONCURRENCY = 10;
    static final Pattern SPLIT = Pattern.compile(
            "Ran pod sandbox \\S+ \\(\\S+\\) in ([0-9.]+) ms: namespaces ([0-9.]+) ms, network ([0-9.]+) ms, state ([0-9.]+) ms");

    public static void main(String[] args) throws Exception {
        int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        Path dir = Files.createTempDirectory("crio-bench-sandbox");
        String bridge = "crb" + Long.toHexString(System.nanoTime() & 0xffffff);
        int subnet = 100 + (int) (System.nanoTime() % 100);
        Files.createDirectories(dir.resolve("net.d"));
        Files.writeString(dir.resolve("net.d/10-bench.conflist"), """
                {"cniVersion":"1.0.0","name":"bench","plugins":[
                 {"type":"bridge","bridge":"%s","isGateway":true,"ipMasq":false,
                  "ipam":{"type":"host-local","ranges":[[{"subnet":"10.%d.0.0/16"}]],"dataDir":"%s"}},
                 {"type":"portmap","capabilities":{"portMappings":true}}]}
                """.formatted(bridge, subnet, dir.resolve("ipam")));
        RegistryServer registry = RegistryServer.start();
        FixtureImages.pause(RegistryPusher.of(registry), "bench/pause", "1");
        Files.writeString(dir.resolve("crio.conf"), """
                [crio.runtime]
                namespaces_dir = "%s"
                log_level = "info"
                container_exits_dir = "%s"
                [crio.image]
                pause_image = "%s/bench/pause:1"
                pause_command = "/pause"
                [crio.network]
                network_dir = "%s"
                """.formatted(dir.resolve("ns"), dir.resolve("exits"), registry.url(), dir.resolve("net.d")));
        try (registry) {
            Floor floor = floor(dir, cycles);
            try (CrioProcess crio = CrioProcess.start(dir, Map.of()).awaitReady(Duration.ofSeconds(60));
                 CriClient client = new CriClient(crio.socket())) {
                // one warm-up cycle: the first spawn and the first call of each RPC load classes
                for (int i = 0; i < 3; i++) {
                    cycle(client, "warmup-" + i, new Timings());
                }
                int warmLines = count(crio.log());
                Timings sequential = new Timings();
                long t0 = System.nanoTime();
                for (int i = 0; i < cycles; i++) {
                    cycle(client, "seq-" + i, sequential);
                }
                double seqSeconds = (System.nanoTime() - t0) / 1e9;
                List<double[]> splits = splits(crio.log(), warmLines);

                Timings concurrent = new Timings();
                AtomicInteger next = new AtomicInteger();
                long t1 = System.nanoTime();
                try (ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY)) {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int w = 0; w < CONCURRENCY; w++) {
                        futures.add(pool.submit(() -> {
                            int i;
                            while ((i = next.getAndIncrement()) < cycles) {
                                cycle(client, "conc-" + i, concurrent);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) {
                        f.get();
                    }
                }
                double concSeconds = (System.nanoTime() - t1) / 1e9;

                // pods sharing a PID namespace: an infra container (pause through conmon and runc) each
                cycle(client, "infra-warmup", new Timings(), NamespaceMode.POD);
                Timings infra = new Timings();
                long t2 = System.nanoTime();
                for (int i = 0; i < cycles; i++) {
                    cycle(client, "infra-" + i, infra, NamespaceMode.POD);
                }
                double infraSeconds = (System.nanoTime() - t2) / 1e9;

                System.out.printf("pod sandbox lifecycle, %d cycles (bridge + host-local + portmap, no host ports)%n", cycles);
                sequential.print("sequential", seqSeconds, cycles);
                concurrent.print("concurrent x" + CONCURRENCY, concSeconds, cycles);
                infra.print("with infra (pid POD)", infraSeconds, cycles);
                System.out.printf("daemon split of RunPodSandbox (sequential), p50: total %.2f ms, namespaces %.2f ms,"
                                + " CNI ADD %.2f ms, state write %.2f ms%n",
                        pct(col(splits, 0), 50), pct(col(splits, 1), 50), pct(col(splits, 2), 50), pct(col(splits, 3), 50));
                System.out.printf("floor: the same conflist run directly: ADD p50 %.2f ms p90 %.2f ms, DEL p50 %.2f ms p90 %.2f ms%n",
                        pct(floor.add, 50), pct(floor.add, 90), pct(floor.del, 50), pct(floor.del, 90));
                System.out.printf("RunPodSandbox p50 minus CNI ADD floor p50: %.2f ms (target <= 15 ms)%n",
                        pct(sequential.run, 50) - pct(floor.add, 50));
            }
        } finally {
            new ProcessBuilder("ip", "link", "del", bridge).redirectErrorStream(true).start().waitFor();
            ContainerBenchmark.removeUnmounted(dir);
        }
    }

    static void cycle(CriClient client, String name, Timings t) {
        cycle(client, name, t, NamespaceMode.CONTAINER);
    }

    static void cycle(CriClient client, String name, Timings t, NamespaceMode pid) {
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("bench").setUid("uid-" + name))
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setPid(pid))))
                .build();
        long a = System.nanoTime();
        String id = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build())
                .getPodSandboxId();
        long b = System.nanoTime();
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        long c = System.nanoTime();
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        long d = System.nanoTime();
        t.add((b - a) / 1e6, (c - b) / 1e6, (d - c) / 1e6);
    }

    record Floor(List<Double> add, List<Double> del) {}

    /** ADD and DEL of the benchmark's conflist, run by this process on a network namespace it pinned. */
    static Floor floor(Path dir, int cycles) throws Exception {
        NetworkConfigList net = CniConfigLoader.load(dir.resolve("net.d/10-bench.conflist"));
        CniExecutor cni = new CniExecutor(List.of(Path.of("/usr/lib/cni"), Path.of("/opt/cni/bin")),
                dir.resolve("floor-cache"), Duration.ofMinutes(1));
        NamespacePinner pinner = new NamespacePinner();
        List<Double> add = new ArrayList<>();
        List<Double> del = new ArrayList<>();
        for (int i = 0; i < cycles + 3; i++) {
            String id = "floor" + i;
            var pinned = pinner.pin(new NamespacePinner.PinRequest(id, dir.resolve("floor-ns"),
                    EnumSet.of(NamespacePinner.NamespaceKind.NET), Optional.empty(), Map.of()));
            String netns = pinned.paths().get(NamespacePinner.NamespaceKind.NET).toString();
            RuntimeConf rt = new RuntimeConf(id, netns, "eth0",
                    List.of(Map.entry("IgnoreUnknown", "1"), Map.entry("K8S_POD_NAMESPACE", "bench"),
                            Map.entry("K8S_POD_NAME", id), Map.entry("K8S_POD_INFRA_CONTAINER_ID", id)), Map.of());
            long a = System.nanoTime();
            cni.add(net, rt);
            long b = System.nanoTime();
            cni.del(net, rt, net.name());
            long c = System.nanoTime();
            pinner.unpinAll(pinned);
            if (i >= 3) {
                add.add((b - a) / 1e6);
                del.add((c - b) / 1e6);
            }
        }
        return new Floor(add, del);
    }

    static final class Timings {
        final List<Double> run = Collections.synchronizedList(new ArrayList<>());
        final List<Double> stop = Collections.synchronizedList(new ArrayList<>());
        final List<Double> remove = Collections.synchronizedList(new ArrayList<>());

        void add(double r, double s, double m) {
            run.add(r);
            stop.add(s);
            remove.add(m);
        }

        void print(String label, double seconds, int cycles) {
            System.out.printf("%-22s %5.1f cycles/s%n", label, cycles / seconds);
            line("  RunPodSandbox", run);
            line("  StopPodSandbox", stop);
            line("  RemovePodSandbox", remove);
        }

        static void line(String name, List<Double> v) {
            System.out.printf("%-20s p50 %7.2f ms  p90 %7.2f ms  max %7.2f ms%n", name, pct(v, 50), pct(v, 90), pct(v, 100));
        }
    }

    static int count(String log) {
        return (int) log.lines().count();
    }

    static List<double[]> splits(String log, int skipLines) {
        List<double[]> out = new ArrayList<>();
        log.lines().skip(skipLines).forEach(line -> {
            Matcher m = SPLIT.matcher(line);
            if (m.find()) {
                out.add(new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                        Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4))});
            }
        });
        return out;
    }

    static List<Double> col(List<double[]> rows, int i) {
        return rows.stream().map(r -> r[i]).toList();
    }

    static double pct(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }
}
