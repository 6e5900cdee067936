package io.crio.daemon.container;

import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.RuntimeHandler;
import io.crio.daemon.config.RuntimeSection;
import io.crio.daemon.server.CriException;
import io.crio.oci.ExecutableLookup;
import io.crio.oci.OciRuntimeCli;
import java.nio.file.Path;

/** A runtime handler's binaries: the OCI runtime (and its CLI wrapper) and the conmon that monitors it. */
public final class RuntimeHandlers {

    /** One handler, resolved. */
    public record Resolved(String name, RuntimeHandler handler, Path runtimePath, Path conmonPath, OciRuntimeCli cli,
                           boolean systemd, String monitorCgroup) {}

    private final CrioConfig config;
    private final ExecutableLookup lookup;
    /** Handlers are fixed at start-up, so each is looked up once rather than on every start, stop and remove. */
    private final java.util.concurrent.ConcurrentHashMap<String, Resolved> resolved = new java.util.concurrent.ConcurrentHashMap<>();

    public RuntimeHandlers(CrioConfig config, ExecutableLookup lookup) {
        this.config = config;
        this.lookup = lookup;
    }

    public Resolved resolve(String name) {
        Resolved r = resolved.get(name);
        if (r == null) {
            r = lookUp(name);
            resolved.put(name, r);
        }
        return r;
    }

    private Resolved lookUp(String name) {
        RuntimeSection rt = config.crio().runtime();
        RuntimeHandler handler = rt.runtimes().get(name);
        if (handler == null) {
            throw CriException.failedPrecondition("runtime handler " + name + " is not configured");
        }
        Path runtimePath = lookup.find(handler.runtimePath(), name).orElseThrow(() -> CriException.failedPrecondition(
                "runtime handler " + name + ": binary " + (handler.runtimePath().isEmpty() ? name : handler.runtimePath())
                        + " not found"));
        Path conmonPath = lookup.find(rt.effectiveMonitorPath(handler), "conmon").orElseThrow(() ->
                CriException.failedPrecondition("conmon not found (conmon / monitor_path)"));
        boolean systemd = RuntimeSection.CGROUP_MANAGER_SYSTEMD.equals(rt.cgroupManager());
        return new Resolved(name, handler, runtimePath, conmonPath,
                new OciRuntimeCli(runtimePath.toString(), handler.runtimeRoot(), systemd), systemd,
                rt.effectiveMonitorCgroup(handler));
    }
}
