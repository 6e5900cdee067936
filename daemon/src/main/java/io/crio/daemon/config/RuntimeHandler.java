package io.crio.daemon.config;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import java.util.List;
import java.util.Map;

/**
 * One {@code [crio.runtime.runtimes.<name>]} table: an OCI runtime kubelet can select by its handler name
 * (a RuntimeClass), and how its containers are monitored.
 */
@Doc({"An OCI runtime that pods can select through the name of this table (their RuntimeClass",
      "handler). Options left out of a table take their empty value."})
public record RuntimeHandler(
        @Doc({"Absolute path of the runtime binary. Empty looks up an executable named",
              "like this table in $PATH."})
        String runtimePath,
        @Doc({"Kind of runtime: \"oci\" (a runc-compatible CLI started through conmon), \"vm\"",
              "(a containerd shim v2) or \"pod\" (conmon-rs). Empty means \"oci\"."})
        String runtimeType,
        @Doc("Directory where the runtime keeps the state of its containers (its --root).")
        String runtimeRoot,
        @Doc({"Copy runtime_path, runtime_type, runtime_root and runtime_config_path from",
              "the default runtime when the configuration is loaded."})
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        boolean inheritDefaultRuntime,
        @Doc("Configuration file for the runtime; only for runtime_type \"vm\". Empty means none.")
        String runtimeConfigPath,
        @Doc({"Smallest memory limit a container of this runtime may have, e.g. \"12MiB\".",
              "Empty means 12MiB."})
        String containerMinMemory,
        @Doc("Path of the conmon binary monitoring the containers. Empty looks conmon up in $PATH.")
        String monitorPath,
        @Doc({"Cgroup conmon runs in: a systemd slice such as \"system.slice\", or \"pod\" for",
              "the pod's own cgroup. With the cgroupfs manager only \"pod\" or empty apply."})
        String monitorCgroup,
        @Doc({"Where exec-sync processes (probes) run: empty for conmon's cgroup, \"container\"",
              "for the container's own cgroup."})
        String monitorExecCgroup,
        @Doc("Environment (NAME=value entries) given to conmon and, through it, to the runtime.")
        List<String> monitorEnv,
        @Doc({"Experimental pod annotations this runtime may act on, e.g.",
              "\"io.containers.trace-syscall\" or \"devices.crio.io\". Others are dropped."})
        List<String> allowedAnnotations,
        @Doc({"Do not hand the host's devices to privileged containers of this runtime.",
              "Useful for runtimes that run containers in a virtual machine."})
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        boolean privilegedWithoutHostDevices,
        @Doc({"Runtime binaries per platform, as { \"os/arch\" = \"/path/to/runtime\" }. A pod",
              "for a listed platform uses that binary instead of runtime_path."})
        Map<String, String> platformRuntimePaths,
        @Doc("Annotations added to the pods of this runtime unless the pod sets them itself.")
        Map<String, String> defaultAnnotations,
        @Doc("The runtime pulls images itself, so the daemon does not pull them for it.")
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        boolean runtimePullImage,
        @Doc({"Skip fsync of container logs at rotation and container exit. Faster, but logs",
              "may be lost in a crash. Only for runtime_type \"oci\"."})
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        boolean noSyncLog,
        @Doc("Serve exec, attach and port-forward over WebSocket. Only for runtime_type \"pod\".")
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        boolean streamWebsockets,
        @Doc({"CPU that exec'd processes are pinned to: empty leaves it to the runtime, \"first\"",
              "picks the first CPU of the container's shared, else exclusive, CPU set."})
        String execCpuAffinity,
        @Doc({"Absolute path of a seccomp profile (JSON) used as this runtime's default. Empty",
              "falls back to crio.runtime.seccomp_profile, then to the built-in profile."})
        String seccompProfile,
        @Doc({"Seconds a container creation may take before it fails. 0 means 240; values",
              "below 30 are raised to 30."})
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        long containerCreateTimeout) {

    public static final String TYPE_OCI = "oci";
    public static final String TYPE_VM = "vm";
    public static final String TYPE_POD = "pod";

    /** The environment conmon gets by default: a PATH covering the usual binary directories. */
    public static final String DEFAULT_MONITOR_PATH_ENV =
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    static final long DEFAULT_CONTAINER_CREATE_TIMEOUT = 240;
    static final long MINIMUM_CONTAINER_CREATE_TIMEOUT = 30;

    public RuntimeHandler {
        runtimePath = Records.str(runtimePath);
        runtimeType = Records.str(runtimeType);
        runtimeRoot = Records.str(runtimeRoot);
        runtimeConfigPath = Records.str(runtimeConfigPath);
        containerMinMemory = Records.str(containerMinMemory);
        monitorPath = Records.str(monitorPath);
        monitorCgroup = Records.str(monitorCgroup);
        monitorExecCgroup = Records.str(monitorExecCgroup);
        monitorEnv = Records.list(monitorEnv);
        allowedAnnotations = Records.list(allowedAnnotations);
        platformRuntimePaths = Records.sortedMap(platformRuntimePaths);
        defaultAnnotations = Records.sortedMap(defaultAnnotations);
        execCpuAffinity = Records.str(execCpuAffinity);
        seccompProfile = Records.str(seccompProfile);
    }

    /**
     * The built-in handler of an OCI runtime monitored by conmon from $PATH in {@code system.slice}.
     *
     * @param root the runtime's state directory
     * @param containerMinMemory the smallest memory limit its containers may have
     */
    static RuntimeHandler oci(String root, String containerMinMemory) {
        return new RuntimeHandler(
                "",
                TYPE_OCI,
                root,
                false,
                "",
                containerMinMemory,
                "",
                "system.slice",
                "",
                List.of(DEFAULT_MONITOR_PATH_ENV),
                List.of("io.containers.trace-syscall", "devices.crio.io"),
                false,
                Map.of(),
                Map.of(),
                false,
                false,
                false,
                "",
                "",
                DEFAULT_CONTAINER_CREATE_TIMEOUT);
    }

    /** The built-in {@code runc} handler. */
    public static RuntimeHandler runcDefaults() {
        return oci("/run/runc", "12MiB");
    }

    /** The built-in {@code crun} handler. */
    public static RuntimeHandler crunDefaults() {
        return oci("/run/crun", "500KiB");
    }

    /** Whether containers of this handler are run through conmon ({@code runtime_type} "oci" or empty). */
    public boolean monitoredByConmon() {
        return runtimeType.isEmpty() || TYPE_OCI.equals(runtimeType);
    }

    /** The container creation timeout in force, in seconds (240 when unset, at least 30). */
    public long effectiveContainerCreateTimeout() {
        if (containerCreateTimeout == 0) {
            return DEFAULT_CONTAINER_CREATE_TIMEOUT;
        }
        return Math.max(containerCreateTimeout, MINIMUM_CONTAINER_CREATE_TIMEOUT);
    }

    /**
     * Checks the values that do not depend on the host (binaries and files are checked when the handler is
     * first used). Problems are errors for the default runtime; for other handlers CRI-O only ignores the
     * handler with a warning (see {@link RuntimeSection#unusableRuntimes()}).
     */
    void validate(Problems problems, String name) {
        String p = "crio.runtime.runtimes." + name + ".";
        Formats.requireOneOfOrEmpty(problems, p + "runtime_type", runtimeType, TYPE_OCI, TYPE_VM, TYPE_POD);
        if (!runtimeConfigPath.isEmpty() && !TYPE_VM.equals(runtimeType)) {
            problems.add(p + "runtime_config_path", "may only be set for runtime_type \"vm\"");
        }
        if (noSyncLog && !monitoredByConmon()) {
            problems.add(p + "no_sync_log", "may only be true for runtime_type \"oci\"");
        }
        if (streamWebsockets && !TYPE_POD.equals(runtimeType)) {
            problems.add(p + "stream_websockets", "may only be true for runtime_type \"pod\"");
        }
        Formats.requireOneOfOrEmpty(problems, p + "monitor_exec_cgroup", monitorExecCgroup, "container");
        Formats.requireOneOfOrEmpty(problems, p + "exec_cpu_affinity", execCpuAffinity, "first");
        for (String annotation : allowedAnnotations) {
            if (!Formats.ALLOWABLE_ANNOTATIONS.contains(annotation)) {
                problems.add(p + "allowed_annotations", "unknown annotation \"" + annotation + "\", allowed: "
                        + String.join(", ", Formats.ALLOWABLE_ANNOTATIONS));
            }
        }
    }
}
