package io.crio.daemon.config;

import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The {@code [crio.runtime]} table: how containers are created, confined, logged and monitored. */
@Doc({"The crio.runtime table covers the OCI runtimes and how containers are set up:",
      "security defaults, cgroups, devices, logging and the monitor process (conmon)."})
public record RuntimeSection(
        @Doc({"Resource limits applied to every container, as \"<name>=<soft>[:<hard>]\",",
              "e.g. \"nofile=1024:2048\". Empty leaves the limits the daemon itself has."})
        List<String> defaultUlimits,
        @Doc("Have the runtime switch the root filesystem with MS_MOVE instead of pivot_root.")
        boolean noPivot,
        @Doc("Directory with the private keys used to decrypt encrypted images. Reloadable.")
        String decryptionKeysPath,
        @Doc({"Extra read-only OCI artifact stores, as absolute paths that each contain an",
              "\"artifacts/\" directory. They are searched before the main store."})
        List<String> additionalArtifactStores,
        @Doc({"Deprecated: use monitor_path in the runtime tables. When set, it replaces the",
              "conmon path of every \"oci\" runtime. Empty looks conmon up in $PATH."})
        String conmon,
        @Doc({"Deprecated: use monitor_cgroup in the runtime tables. When set, it replaces the",
              "conmon cgroup of every \"oci\" runtime."})
        String conmonCgroup,
        @Doc({"Deprecated: use monitor_env in the runtime tables. When not empty, it replaces",
              "the conmon environment of every \"oci\" runtime."})
        List<String> conmonEnv,
        @Doc({"Environment (NAME=value entries) set in every container; the image and the",
              "container's own settings take precedence."})
        List<String> defaultEnv,
        @Doc({"Lowest GOMAXPROCS value injected into containers of burstable and best-effort",
              "pods that do not set it themselves. 0 turns the injection off."})
        long minInjectedGomaxprocs,
        @Doc({"Separate pods with SELinux labels. Deprecated: whether SELinux is enabled on the",
              "host will decide this in the future."})
        boolean selinux,
        @Doc({"Path of the seccomp profile (JSON) used as the default for containers. Empty, or",
              "a file that does not exist, means the containers-common default profile",
              "(/usr/share/containers/seccomp.json) when installed, else a built-in one. Reloadable."})
        String seccompProfile,
        @Doc({"Path of a seccomp profile (JSON) applied to privileged containers. Empty leaves",
              "privileged containers unconfined. Reloadable."})
        String privilegedSeccompProfile,
        @Doc({"Name of the AppArmor profile for containers that do not ask for one.",
              "\"unconfined\" turns AppArmor off. Reloadable."})
        String apparmorProfile,
        @Doc("File defining the blockio classes for the cgroup blkio/io controller. Empty means none.")
        String blockioConfigFile,
        @Doc("Re-read blockio_config_file and rescan block devices before each use of a class.")
        boolean blockioReload,
        @Doc("irqbalance configuration file the daemon edits to keep IRQs off exclusive CPUs.")
        String irqbalanceConfigFile,
        @Doc({"File holding the IRQ-banned CPU mask to restore into irqbalance_config_file at",
              "start. Empty skips restoring it."})
        String irqbalanceConfigRestoreFile,
        @Doc({"File configuring resctrl (Intel RDT) classes for containers. Empty means none.",
              "Reloadable."})
        String rdtConfigFile,
        @Doc({"How container cgroups are managed: \"systemd\" (transient units) or \"cgroupfs\"",
              "(directories written directly). Must match kubelet's cgroup driver."})
        String cgroupManager,
        @Doc({"Run image pulls in a cgroup of their own: empty for no, \"pod\" for the pod's",
              "cgroup, or the name of a systemd slice. Needs the systemd cgroup manager."})
        String separatePullCgroup,
        @Doc({"Capabilities every container gets, named without the CAP_ prefix. An empty list",
              "gives only the ones the container asks for."})
        List<String> defaultCapabilities,
        @Doc({"Also put the capabilities into the inheritable set, which programs run by",
              "non-root users in a container need to keep them."})
        boolean addInheritableCapabilities,
        @Doc({"Sysctls set in every container, as \"key=value\" without spaces. Empty sets only",
              "those the pod asks for."})
        List<String> defaultSysctls,
        @Doc({"Host devices a pod may request with the \"devices.crio.io\" annotation (when its",
              "runtime allows that annotation)."})
        List<String> allowedDevices,
        @Doc({"Host devices added to every container, as \"<host path>[:<container path>][:<rwm>]\",",
              "e.g. \"/dev/sdc:/dev/xvdc:rwm\"."})
        List<String> additionalDevices,
        @Doc("Directories searched for CDI (Container Device Interface) device specifications.")
        List<String> cdiSpecDirs,
        @Doc({"Give devices in a container the owner and group the container runs as, instead of",
              "copying them from the host."})
        boolean deviceOwnershipFromSecurityContext,
        @Doc({"Directories with OCI hook definitions that run automatically. Directories that",
              "do not exist are skipped; on name clashes the later directory wins."})
        List<String> hooksDir,
        @Doc({"File listing default mounts (/SRC:/DST, one per line) added to every container.",
              "Empty uses /etc/containers/mounts.conf and /usr/share/containers/mounts.conf."})
        String defaultMountsFile,
        @Doc({"Deprecated (use kubelet's --pod-pids-limit): most processes a container may have.",
              "-1 means no limit."})
        long pidsLimit,
        @Doc({"Deprecated (use kubelet's --container-log-max-size): size in bytes at which a",
              "container log is truncated. Negative means no limit; otherwise at least 8192."})
        long logSizeMax,
        @Doc("Also send container output to the systemd journal.")
        boolean logToJournald,
        @Doc("Directory where conmon writes a file with the exit code of each container.")
        String containerExitsDir,
        @Doc("Directory holding the attach sockets of containers.")
        String containerAttachSocketDir,
        @Doc("Prefix added to the source path of every bind mount. Empty adds none.")
        String bindMountPrefix,
        @Doc({"Run every container with a read-only root filesystem (with tmpfs on /run, /tmp",
              "and /var/tmp); containers can then write only to their volumes."})
        boolean readOnly,
        @Doc({"Least severe level of messages logged: fatal, panic, error, warn (warning),",
              "info, debug or trace. Reloadable."})
        String logLevel,
        @Doc("Only log messages matching this regular expression. Empty logs all. Reloadable.")
        String logFilter,
        @Doc({"Deprecated: user namespace UID ranges for every container, as comma-separated",
              "\"<container UID>:<host UID>:<size>\" triples. Empty means no user namespace."})
        String uidMappings,
        @Doc({"Deprecated: user namespace GID ranges for every container, as comma-separated",
              "\"<container GID>:<host GID>:<size>\" triples. Empty means no user namespace."})
        String gidMappings,
        @Doc({"Deprecated: lowest host UID that may be mapped into a user namespace of a pod",
              "not running as root. Negative means no lower bound."})
        long minimumMappableUid,
        @Doc({"Deprecated: lowest host GID that may be mapped into a user namespace of a pod",
              "not running as root. Negative means no lower bound."})
        long minimumMappableGid,
        @Doc({"Seconds to wait for a container to stop before reporting a timeout. Values",
              "below 30 are raised to 30."})
        long ctrStopTimeout,
        @Doc({"Do without an infra (pause) container for pods that do not share a PID namespace",
              "and do not use a VM-based runtime; the namespaces are pinned instead."})
        boolean dropInfraCtr,
        @Doc({"CPUs (Linux CPU list, e.g. \"0-1\") infra containers run on. Setting it to",
              "kubelet's reserved CPUs isolates guaranteed pods better. Empty means any."})
        String infraCtrCpuset,
        @Doc({"CPUs (Linux CPU list) that guaranteed containers may share on top of their",
              "exclusive ones when they ask for it. Empty means none."})
        String sharedCpuset,
        @Doc("Directory where pinned namespaces of pods are kept.")
        String namespacesDir,
        @Doc("Path of the pinns helper that pins namespaces. Empty looks it up in $PATH.")
        String pinnsPath,
        @Doc({"Deprecated: use crio.checkpoint_restore.container_level_enabled. false turns",
              "checkpoint/restore off whatever that option says."})
        boolean enableCriuSupport,
        @Doc("Send container and pod lifecycle events to kubelet (for its evented PLEG).")
        boolean enablePodEvents,
        @Doc({"Name of the runtime table (below) used for pods that do not name a runtime",
              "handler."})
        String defaultRuntime,
        @Doc({"Mount sources that must already exist on the host: a container mounting one",
              "that is missing fails instead of getting a new directory created there."})
        List<String> absentMountSourcesToReject,
        @Doc("Turn SELinux separation off for pods that use the host's network namespace.")
        boolean hostnetworkDisableSelinux,
        @Doc({"Do not set up host port mappings for pods; leave it to the CNI plugins or",
              "another component."})
        boolean disableHostportMapping,
        @Doc({"Time zone of containers, as an IANA name such as \"Europe/Paris\", or \"Local\"",
              "for the host's zone. Empty leaves the image's setting."})
        String timezone,
        @Doc({"The OCI runtimes, one table per runtime handler name (see default_runtime).",
              "A pod's RuntimeClass handler selects the table by its name."})
        Map<String, RuntimeHandler> runtimes,
        @Doc({"Workloads (experimental), one table per name: default CPU settings that pods opt",
              "into by annotation."})
        Map<String, Workload> workloads) {

    public static final String CGROUP_MANAGER_SYSTEMD = "systemd";
    public static final String CGROUP_MANAGER_CGROUPFS = "cgroupfs";

    /** The monitor cgroup used under systemd when none is configured. */
    public static final String DEFAULT_MONITOR_CGROUP = "system.slice";

    /** The cgroup name meaning "the pod's own cgroup". */
    public static final String POD_CGROUP = "pod";

    /** Log levels accepted in {@code log_level}. */
    static final String[] LOG_LEVELS = {"fatal", "panic", "error", "warn", "warning", "info", "debug", "trace"};

    /** The smallest positive {@code log_size_max}: conmon's read buffer size. */
    static final long MIN_LOG_SIZE_MAX = 8192;

    public RuntimeSection {
        defaultUlimits = Records.list(defaultUlimits);
        decryptionKeysPath = Records.str(decryptionKeysPath);
        additionalArtifactStores = Records.list(additionalArtifactStores);
        conmon = Records.str(conmon);
        conmonCgroup = Records.str(conmonCgroup);
        conmonEnv = Records.list(conmonEnv);
        defaultEnv = Records.list(defaultEnv);
        seccompProfile = Records.str(seccompProfile);
        privilegedSeccompProfile = Records.str(privilegedSeccompProfile);
        apparmorProfile = Records.str(apparmorProfile);
        blockioConfigFile = Records.str(blockioConfigFile);
        irqbalanceConfigFile = Records.str(irqbalanceConfigFile);
        irqbalanceConfigRestoreFile = Records.str(irqbalanceConfigRestoreFile);
        rdtConfigFile = Records.str(rdtConfigFile);
        cgroupManager = Records.str(cgroupManager);
        separatePullCgroup = Records.str(separatePullCgroup);
        defaultCapabilities = Records.list(defaultCapabilities);
        defaultSysctls = Records.list(defaultSysctls);
        allowedDevices = Records.list(allowedDevices);
        additionalDevices = Records.list(additionalDevices);
        cdiSpecDirs = Records.list(cdiSpecDirs);
        hooksDir = Records.list(hooksDir);
        defaultMountsFile = Records.str(defaultMountsFile);
        containerExitsDir = Records.str(containerExitsDir);
        containerAttachSocketDir = Records.str(containerAttachSocketDir);
        bindMountPrefix = Records.str(bindMountPrefix);
        logLevel = Records.str(logLevel);
        logFilter = Records.str(logFilter);
        uidMappings = Records.str(uidMappings);
        gidMappings = Records.str(gidMappings);
        infraCtrCpuset = Records.str(infraCtrCpuset);
        sharedCpuset = Records.str(sharedCpuset);
        namespacesDir = Records.str(namespacesDir);
        pinnsPath = Records.str(pinnsPath);
        defaultRuntime = Records.str(defaultRuntime);
        absentMountSourcesToReject = Records.list(absentMountSourcesToReject);
        timezone = Records.str(timezone);
        runtimes = Records.sortedMap(runtimes);
        workloads = Records.sortedMap(workloads);
    }

    public static RuntimeSection defaults() {
        Map<String, RuntimeHandler> runtimes = new TreeMap<>();
        runtimes.put("crun", RuntimeHandler.crunDefaults());
        runtimes.put("runc", RuntimeHandler.runcDefaults());
        return new RuntimeSection(
                List.of(),                                   // default_ulimits
                false,                                       // no_pivot
                "/etc/crio/keys/",                           // decryption_keys_path
                List.of(),                                   // additional_artifact_stores
                "",                                          // conmon
                "",                                          // conmon_cgroup
                List.of(),                                   // conmon_env
                List.of(),                                   // default_env
                0,                                           // min_injected_gomaxprocs
                false,                                       // selinux
                "",                                          // seccomp_profile
                "",                                          // privileged_seccomp_profile
                "crio-default",                              // apparmor_profile
                "",                                          // blockio_config_file
                false,                                       // blockio_reload
                "/etc/sysconfig/irqbalance",                 // irqbalance_config_file
                "/etc/sysconfig/orig_irq_banned_cpus",       // irqbalance_config_restore_file
                "",                                          // rdt_config_file
                CGROUP_MANAGER_SYSTEMD,                      // cgroup_manager
                "",                                          // separate_pull_cgroup
                List.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP",
                        "NET_BIND_SERVICE", "KILL"),         // default_capabilities
                false,                                       // add_inheritable_capabilities
                List.of(),                                   // default_sysctls
                List.of("/dev/fuse", "/dev/net/tun"),        // allowed_devices
                List.of(),                                   // additional_devices
                List.of("/etc/cdi", "/var/run/cdi"),         // cdi_spec_dirs
                false,                                       // device_ownership_from_security_context
                List.of("/usr/share/containers/oci/hooks.d"), // hooks_dir
                "",                                          // default_mounts_file
                -1,                                          // pids_limit
                -1,                                          // log_size_max
                false,                                       // log_to_journald
                "/var/run/crio/exits",                       // container_exits_dir
                "/var/run/crio",                             // container_attach_socket_dir
                "",                                          // bind_mount_prefix
                false,                                       // read_only
                "info",                                      // log_level
                "",                                          // log_filter
                "",                                          // uid_mappings
                "",                                          // gid_mappings
                -1,                                          // minimum_mappable_uid
                -1,                                          // minimum_mappable_gid
                30,                                          // ctr_stop_timeout
                true,                                        // drop_infra_ctr
                "",                                          // infra_ctr_cpuset
                "",                                          // shared_cpuset
                "/var/run",                                  // namespaces_dir
                "",                                          // pinns_path
                true,                                        // enable_criu_support
                false,                                       // enable_pod_events
                "runc",                                      // default_runtime
                List.of(),                                   // absent_mount_sources_to_reject
                true,                                        // hostnetwork_disable_selinux
                false,                                       // disable_hostport_mapping
                "",                                          // timezone
                runtimes,
                Map.of());                                   // workloads
    }

    /** The handler named by {@code default_runtime} (validation guarantees it exists). */
    public RuntimeHandler defaultRuntimeHandler() {
        return runtimes.get(defaultRuntime);
    }

    /**
     * The conmon binary for {@code handler}: the deprecated {@code conmon} when set (for conmon-monitored
     * handlers), else the handler's {@code monitor_path}; empty means "conmon from $PATH".
     */
    public String effectiveMonitorPath(RuntimeHandler handler) {
        return handler.monitoredByConmon() && !conmon.isEmpty() ? conmon : handler.monitorPath();
    }

    /**
     * The environment conmon gets for {@code handler}: the deprecated {@code conmon_env} when not empty
     * (for conmon-monitored handlers), else the handler's {@code monitor_env}.
     */
    public List<String> effectiveMonitorEnv(RuntimeHandler handler) {
        return handler.monitoredByConmon() && !conmonEnv.isEmpty() ? conmonEnv : handler.monitorEnv();
    }

    /**
     * The cgroup conmon is placed in for {@code handler}: the deprecated {@code conmon_cgroup} when set, else
     * the handler's {@code monitor_cgroup}; under systemd an empty value means {@code system.slice}, under
     * cgroupfs {@code system.slice} means empty (conmon stays in the daemon's cgroup). {@code "pod"} means
     * the pod's cgroup.
     */
    public String effectiveMonitorCgroup(RuntimeHandler handler) {
        String cgroup = handler.monitoredByConmon() && !conmonCgroup.isEmpty() ? conmonCgroup : handler.monitorCgroup();
        if (CGROUP_MANAGER_SYSTEMD.equals(cgroupManager)) {
            return cgroup.isEmpty() ? DEFAULT_MONITOR_CGROUP : cgroup;
        }
        return DEFAULT_MONITOR_CGROUP.equals(cgroup) ? "" : cgroup;
    }

    /**
     * The runtime handlers other than the default one whose settings are invalid, with what is wrong. As
     * CRI-O does, the daemon should not refuse to start over these but log a warning and leave the handler
     * out; an invalid default handler is a validation problem instead.
     */
    public Map<String, List<Problems.Problem>> unusableRuntimes() {
        Map<String, List<Problems.Problem>> unusable = new TreeMap<>();
        runtimes.forEach((name, handler) -> {
            if (!name.equals(defaultRuntime)) {
                Problems problems = new Problems();
                handler.validate(problems, name);
                validateMonitorCgroup(problems, name, handler);
                if (!problems.isEmpty()) {
                    unusable.put(name, problems.all());
                }
            }
        });
        return java.util.Collections.unmodifiableMap(unusable);
    }

    /** The container stop timeout in force, in seconds (never below 30). */
    public long effectiveCtrStopTimeout() {
        return Math.max(ctrStopTimeout, 30);
    }

    void validate(Problems problems) {
        String p = "crio.runtime.";
        problems.requireOneOf(p + "cgroup_manager", cgroupManager, CGROUP_MANAGER_SYSTEMD, CGROUP_MANAGER_CGROUPFS);
        problems.requireOneOf(p + "log_level", logLevel.toLowerCase(java.util.Locale.ROOT), LOG_LEVELS);
        if (!Formats.isRegex(logFilter)) {
            problems.add(p + "log_filter", "invalid value \"" + logFilter + "\", allowed: a regular expression");
        }
        if (!runtimes.containsKey(defaultRuntime)) {
            problems.add(p + "default_runtime", "invalid value \"" + defaultRuntime
                    + "\", allowed: the name of a [crio.runtime.runtimes.<name>] table"
                    + (runtimes.isEmpty() ? " (none is configured)" : ": " + String.join(", ", runtimes.keySet())));
        }
        RuntimeHandler defaultHandler = runtimes.get(defaultRuntime);
        if (defaultHandler != null) {
            defaultHandler.validate(problems, defaultRuntime);
        }
        if (defaultHandler != null) {
            validateMonitorCgroup(problems, defaultRuntime, defaultHandler);
        }
        workloads.forEach((name, workload) -> workload.validate(problems, name));
        if (minInjectedGomaxprocs < 0) {
            problems.add(p + "min_injected_gomaxprocs", "invalid value " + minInjectedGomaxprocs
                    + ", allowed: 0 (off) or more");
        }
        for (String store : additionalArtifactStores) {
            if (!Formats.isAbsolute(store)) {
                problems.add(p + "additional_artifact_stores", "invalid entry \"" + store + "\", allowed: absolute paths");
            }
        }
        for (String ulimit : defaultUlimits) {
            String problem = Formats.ulimitProblem(ulimit);
            if (problem != null) {
                problems.add(p + "default_ulimits", problem);
            }
        }
        for (String device : additionalDevices) {
            String problem = Formats.deviceProblem(device);
            if (problem != null) {
                problems.add(p + "additional_devices", problem);
            }
        }
        for (String sysctl : defaultSysctls) {
            String problem = Formats.sysctlProblem(sysctl);
            if (problem != null) {
                problems.add(p + "default_sysctls", problem);
            }
        }
        for (String capability : defaultCapabilities) {
            if (!Formats.isCapability(capability)) {
                problems.add(p + "default_capabilities", "unknown capability \"" + capability
                        + "\", allowed: Linux capability names without the CAP_ prefix, e.g. CHOWN, NET_ADMIN");
            }
        }
        if (logSizeMax >= 0 && logSizeMax < MIN_LOG_SIZE_MAX) {
            problems.add(p + "log_size_max", "invalid value " + logSizeMax
                    + ", allowed: a negative number (no limit) or at least " + MIN_LOG_SIZE_MAX);
        }
        if (!timezone.isEmpty() && !timezone.equalsIgnoreCase("local") && !isZone(timezone)) {
            problems.add(p + "timezone", "unknown time zone \"" + timezone
                    + "\", allowed: empty, \"Local\" or an IANA zone name such as \"UTC\" or \"Europe/Paris\"");
        }
        if (!Formats.isCpuList(infraCtrCpuset)) {
            problems.add(p + "infra_ctr_cpuset", "invalid value \"" + infraCtrCpuset
                    + "\", allowed: empty or a Linux CPU list such as \"0-1,4\"");
        }
        if (!Formats.isCpuList(sharedCpuset)) {
            problems.add(p + "shared_cpuset", "invalid value \"" + sharedCpuset
                    + "\", allowed: empty or a Linux CPU list such as \"0-1,4\"");
        }
    }

    /** The monitor cgroup of a conmon-monitored handler must suit the cgroup manager. */
    private void validateMonitorCgroup(Problems problems, String name, RuntimeHandler handler) {
        if (!handler.monitoredByConmon()) {
            return;
        }
        boolean global = !conmonCgroup.isEmpty();
        String key = global ? "crio.runtime.conmon_cgroup" : "crio.runtime.runtimes." + name + ".monitor_cgroup";
        String cgroup = effectiveMonitorCgroup(handler);
        if (CGROUP_MANAGER_SYSTEMD.equals(cgroupManager)) {
            if (!POD_CGROUP.equals(cgroup) && !cgroup.endsWith(".slice")) {
                problems.add(key, "invalid value \"" + cgroup
                        + "\" for the systemd cgroup manager, allowed: \"pod\" or a systemd slice (ending in .slice)");
            }
        } else if (CGROUP_MANAGER_CGROUPFS.equals(cgroupManager)) {
            if (!POD_CGROUP.equals(cgroup) && !cgroup.isEmpty()) {
                problems.add(key, "invalid value \"" + cgroup
                        + "\" for the cgroupfs cgroup manager, allowed: \"pod\" or empty");
            }
        }
    }

    private static boolean isZone(String zone) {
        return ZoneId.getAvailableZoneIds().contains(zone) || "UTC".equals(zone);
    }
}
