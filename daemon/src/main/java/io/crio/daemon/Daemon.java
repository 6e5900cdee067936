package io.crio.daemon;

import io.crio.daemon.config.ConfigException;
import io.crio.daemon.config.ConfigHolder;
import io.crio.daemon.config.ConfigLoader;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.LoadedConfig;
import io.crio.daemon.config.NetworkSection;
import io.crio.daemon.container.ContainerBackend;
import io.crio.daemon.sandbox.InfraContainers;
import io.crio.daemon.sandbox.NameRegistry;
import io.crio.daemon.sandbox.PodNetwork;
import io.crio.daemon.sandbox.SandboxBackend;
import io.crio.daemon.sandbox.SandboxSettings;
import io.crio.cni.CniExecutor;
import io.crio.cni.CniNetworkWatcher;
import io.crio.daemon.cri.ImageService;
import io.crio.daemon.cri.PodNetworkSettings;
import io.crio.daemon.cri.RuntimeService;
import io.crio.daemon.health.EnvironmentReport;
import io.crio.daemon.image.ImageBackend;
import io.crio.image.RegistriesConfig;
import io.crio.daemon.health.NetworkHealth;
import io.crio.daemon.health.RuntimeHealth;
import io.crio.daemon.logging.LogSetup;
import io.crio.api.v1.ImageServiceGrpc;
import io.crio.api.v1.RuntimeServiceGrpc;
import io.crio.daemon.server.CriServer;
import io.crio.daemon.server.LeanServiceBinding;
import io.crio.daemon.system.Signals;
import io.crio.daemon.system.SystemdNotifier;
import io.crio.oci.BinaryVersionProbe;
import io.crio.oci.ExecutableLookup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running daemon: applies the configuration, serves the CRI on the unix socket, tells systemd when
 * it is ready, reloads on SIGHUP and shuts down cleanly on SIGTERM/SIGINT.
 */
public final class Daemon {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private final ConfigLoader.Request request;
    private final LoadedConfig loaded;
    private final ConfigHolder config;
    private final SystemdNotifier notifier = SystemdNotifier.fromEnvironment();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private CriServer server;
    private CniNetworkWatcher networkWatcher;

    /** Where CNI results are cached, as the CNI libraries keep them (so other tools can read them). */
    static final Path CNI_CACHE = Path.of("/var/lib/cni/results");
    /** How long one CNI plugin call may take before it is killed. */
    static final Duration CNI_TIMEOUT = Duration.ofMinutes(2);

    public Daemon(ConfigLoader.Request request, LoadedConfig loaded) {
        this.request = request;
        this.loaded = loaded;
        this.config = new ConfigHolder(loaded.config());
    }

    /** Starts serving; returns 0 once the socket accepts calls, non-zero when the daemon could not start. */
    public synchronized int start() {
        // signals first: a SIGTERM while starting must still shut down cleanly
        Signals.onReload(this::reload);
        Signals.onTerminate(() -> {
            stop();
            System.exit(0);
        });
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(this::stop));
        CrioConfig cfg = config.get();
        try {
            LogSetup.apply(cfg.crio().runtime().logLevel(), cfg.crio().runtime().logFilter());
        } catch (IllegalArgumentException e) {
            log.error("Cannot start: {}", e.getMessage());
            return 1;
        }
        log.info("Starting CRI-O, version: {}, git: {}({})", BuildInfo.current().version(),
                BuildInfo.current().gitCommit(), BuildInfo.current().gitTreeState());
        log.info("Configuration read from: {}", loaded.sources().isEmpty() ? "built-in defaults only"
                : String.join(", ", loaded.sources()));
        loaded.warnings().forEach(w -> log.warn("{}", w));
        log.info("Using {} cgroup manager (from {})", cfg.crio().runtime().cgroupManager(),
                loaded.originOf("crio.runtime.cgroup_manager"));
        cfg.crio().runtime().unusableRuntimes().forEach((name, problems) -> problems.forEach(p ->
                log.warn("Runtime handler {} is unusable and ignored: {}: {}", name, p.key(), p.message())));
        if (cfg.crio().metrics().enableMetrics()) {
            log.warn("enable_metrics is set, but this version has no metrics endpoint yet; no metrics are served");
        }

        PodNetworkSettings podNetwork = new PodNetworkSettings();
        ExecutableLookup lookup = ExecutableLookup.fromEnvironment();
        BinaryVersionProbe probe = new BinaryVersionProbe(Duration.ofSeconds(5));
        NetworkSection net = cfg.crio().network();
        List<Path> pluginDirs = net.effectivePluginDirs().stream().map(Path::of).toList();
        networkWatcher = new CniNetworkWatcher(Path.of(net.networkDir()), pluginDirs, net.cniDefaultNetwork());
        PodNetwork pods = new PodNetwork(networkWatcher, new CniExecutor(pluginDirs, CNI_CACHE, CNI_TIMEOUT));
        ImageBackend imageBackend = new ImageBackend(cfg, RegistriesConfig.fileFromEnvironment(),
                RegistriesConfig.dirFromEnvironment());
        NameRegistry names = new NameRegistry();
        ContainerBackend[] containers = new ContainerBackend[1];
        SandboxBackend sandboxes = new SandboxBackend(SandboxSettings.from(cfg), pods, names,
                cgroups -> new InfraContainers(cfg, lookup, imageBackend, cgroups), () -> containers[0]);
        containers[0] = new ContainerBackend(cfg, lookup, imageBackend, sandboxes, names);
        RuntimeService runtime = new RuntimeService(config, new RuntimeHealth(lookup, probe),
                new NetworkHealth(networkWatcher), podNetwork, sandboxes, containers[0]);
        Path socket = Path.of(cfg.crio().api().listen());
        server = new CriServer(new CriServer.Settings(socket,
                (int) Math.min(Integer.MAX_VALUE, cfg.crio().api().effectiveGrpcMaxRecvMsgSize()),
                (int) Math.min(Integer.MAX_VALUE, cfg.crio().api().effectiveGrpcMaxSendMsgSize())),
                List.of(LeanServiceBinding.bind(runtime, RuntimeServiceGrpc.class, RuntimeServiceGrpc.SERVICE_NAME),
                        LeanServiceBinding.bind(new ImageService(config, imageBackend),
                                ImageServiceGrpc.class, ImageServiceGrpc.SERVICE_NAME)));
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            log.error("Cannot serve on {}: {}", socket, causes(e));
            return 1;
        }
        Thread.ofPlatform().name("crio-main").daemon(false).start(() -> {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        log.info("Serving the CRI on {}", socket);
        notifier.ready("Serving on " + socket);
        Thread.ofVirtual().name("environment-report").start(() -> new EnvironmentReport(lookup, probe).run(cfg));
        return 0;
    }

    private static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append(": ").append(c.getMessage());
            }
        }
        return sb.toString();
    }

    /** Re-reads the configuration and applies the options that can change at run time. */
    void reload() {
        log.info("Reloading configuration");
        notifier.reloading();
        try {
            LoadedConfig fresh = ConfigLoader.load(request);
            fresh.warnings().forEach(w -> log.warn("{}", w));
            List<ConfigHolder.Change> changes = config.reload(fresh.config());
            CrioConfig cfg = config.get();
            LogSetup.apply(cfg.crio().runtime().logLevel(), cfg.crio().runtime().logFilter());
            for (ConfigHolder.Change c : changes) {
                log.info("Set config {} to {}", c.key(), c.to().isTextual() ? c.to().asText() : c.to());
            }
            if (changes.isEmpty()) {
                log.info("Configuration reloaded; no reloadable option changed");
            }
        } catch (ConfigException | IllegalArgumentException e) {
            log.error("Configuration not reloaded, keeping the current one: {}", e.getMessage());
        } finally {
            if (stopped.getCount() > 0) {
                notifier.ready("Serving on " + config.get().crio().api().listen());
            }
        }
    }

    /** Stops serving: no new calls, calls in flight finish (bounded), socket removed. Idempotent. */
    public synchronized void stop() {
        if (stopped.getCount() == 0) {
            return;
        }
        log.info("Shutting down");
        notifier.stopping();
        if (server != null) {
            server.stop(SHUTDOWN_GRACE);
        }
        if (networkWatcher != null) {
            networkWatcher.close();
        }
        log.info("Stopped");
        stopped.countDown();
    }
}
