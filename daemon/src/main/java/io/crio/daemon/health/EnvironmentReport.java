package io.crio.daemon.health;

import io.crio.conmon.ConmonVersion;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.RuntimeHandler;
import io.crio.oci.BinaryVersionProbe;
import io.crio.oci.ExecutableLookup;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs, once the daemon serves, which OCI runtimes and which conmon it will use and their versions. Runs
 * off the start-up path; as a side effect it warms the process-spawning code and the version cache that
 * {@code Status} uses.
 */
public final class EnvironmentReport {

    private static final Logger log = LoggerFactory.getLogger(EnvironmentReport.class);

    private final ExecutableLookup lookup;
    private final BinaryVersionProbe probe;

    public EnvironmentReport(ExecutableLookup lookup, BinaryVersionProbe probe) {
        this.lookup = lookup;
        this.probe = probe;
    }

    public void run(CrioConfig config) {
        reportSecurityModules(config, new io.crio.daemon.container.AppArmorProfiles.KernelHost().enabled(),
                java.nio.file.Files.exists(Path.of("/sys/fs/selinux/enforce")));
        String defaultRuntime = config.crio().runtime().defaultRuntime();
        for (Map.Entry<String, RuntimeHandler> e : config.crio().runtime().runtimes().entrySet()) {
            String name = e.getKey();
            Optional<Path> bin = lookup.find(e.getValue().runtimePath(), name);
            String role = name.equals(defaultRuntime) ? "default runtime handler" : "runtime handler";
            if (bin.isEmpty()) {
                log.warn("{} {}: OCI runtime not found ({})", role, name,
                        e.getValue().runtimePath().isEmpty() ? name + " in $PATH" : e.getValue().runtimePath());
                continue;
            }
            BinaryVersionProbe.Result r = probe.probe(bin.get());
            if (r.ok()) {
                log.info("Using {} {}: {} ({})", role, name, bin.get(), r.detail());
            } else {
                log.warn("{} {}: {}", role, name, r.detail());
            }
        }
        RuntimeHandler handler = config.crio().runtime().runtimes().get(defaultRuntime);
        String monitor = handler == null ? config.crio().runtime().conmon()
                : config.crio().runtime().effectiveMonitorPath(handler);
        Optional<Path> conmon = lookup.find(monitor, "conmon");
        if (conmon.isEmpty()) {
            log.warn("conmon not found ({}); containers cannot be started", monitor.isEmpty() ? "conmon in $PATH" : monitor);
            return;
        }
        BinaryVersionProbe.Result r = probe.probe(conmon.get());
        Optional<ConmonVersion> version = r.ok() ? ConmonVersion.parse(r.detail()) : Optional.empty();
        if (version.isPresent() && version.get().isSupported()) {
            log.info("Using conmon executable: {} (version {})", conmon.get(), version.get());
        } else {
            log.warn("conmon {} is unusable: {} (need version {} or newer)", conmon.get(),
                    r.detail(), ConmonVersion.MINIMUM);
        }
    }

    /** Says which security modules containers get: AppArmor where the host has it; SELinux labels are not applied. */
    static void reportSecurityModules(CrioConfig config, boolean appArmor, boolean seLinux) {
        String profile = config.crio().runtime().apparmorProfile();
        if (appArmor) {
            log.info("AppArmor is enabled on this host: containers get the profile {} unless they ask for another",
                    profile.isEmpty() ? io.crio.daemon.container.AppArmorProfiles.BUILT_IN : profile);
        } else {
            log.info("AppArmor is not enabled on this host: no AppArmor profiles are applied");
        }
        if (config.crio().runtime().selinux()) {
            if (seLinux) {
                log.warn("selinux = true, but this daemon does not label containers for SELinux yet; containers run"
                        + " with the labels they inherit");
            } else {
                log.info("selinux = true has no effect: SELinux is not enabled on this host");
            }
        }
    }
}
