package io.crio.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigSchemaTest {

    /** Every table and the keys CRI-O gives it (the toml tags of its configuration structs). */
    private static final Map<Class<?>, Set<String>> CRIO_KEYS = Map.ofEntries(
            Map.entry(CrioSection.class, Set.of("root", "runroot", "imagestore", "storage_driver", "storage_option",
                    "log_dir", "version_file", "version_file_persist", "clean_shutdown_file", "internal_wipe",
                    "internal_repair", "api", "runtime", "checkpoint_restore", "image", "network", "metrics",
                    "tracing", "stats", "nri")),
            Map.entry(ApiSection.class, Set.of("listen", "stream_address", "stream_port", "stream_enable_tls",
                    "stream_idle_timeout", "stream_tls_cert", "stream_tls_key", "stream_tls_ca", "tls_min_version",
                    "tls_cipher_suites", "grpc_max_send_msg_size", "grpc_max_recv_msg_size")),
            Map.entry(RuntimeSection.class, Set.of("default_ulimits", "no_pivot", "decryption_keys_path",
                    "additional_artifact_stores", "conmon", "conmon_cgroup", "conmon_env", "default_env",
                    "min_injected_gomaxprocs", "selinux", "seccomp_profile", "privileged_seccomp_profile",
                    "apparmor_profile", "blockio_config_file", "blockio_reload", "irqbalance_config_file",
                    "irqbalance_config_restore_file", "rdt_config_file", "cgroup_manager", "separate_pull_cgroup",
                    "default_capabilities", "add_inheritable_capabilities", "default_sysctls", "allowed_devices",
                    "additional_devices", "cdi_spec_dirs", "device_ownership_from_security_context", "hooks_dir",
                    "default_mounts_file", "pids_limit", "log_size_max", "log_to_journald", "container_exits_dir",
                    "container_attach_socket_dir", "bind_mount_prefix", "read_only", "log_level", "log_filter",
                    "uid_mappings", "gid_mappings", "minimum_mappable_uid", "minimum_mappable_gid",
                    "ctr_stop_timeout", "drop_infra_ctr", "infra_ctr_cpuset", "shared_cpuset", "namespaces_dir",
                    "pinns_path", "enable_criu_support", "enable_pod_events", "default_runtime",
                    "absent_mount_sources_to_reject", "hostnetwork_disable_selinux", "disable_hostport_mapping",
                    "timezone", "runtimes", "workloads")),
            Map.entry(RuntimeHandler.class, Set.of("runtime_path", "runtime_type", "runtime_root",
                    "inherit_default_runtime", "runtime_config_path", "container_min_memory", "monitor_path",
                    "monitor_cgroup", "monitor_exec_cgroup", "monitor_env", "allowed_annotations",
                    "privileged_without_host_devices", "platform_runtime_paths", "default_annotations",
                    "runtime_pull_image", "no_sync_log", "stream_websockets", "exec_cpu_affinity", "seccomp_profile",
                    "container_create_timeout")),
            Map.entry(Workload.class, Set.of("activation_annotation", "annotation_prefix", "allowed_annotations",
                    "resources")),
            Map.entry(WorkloadResources.class, Set.of("cpushares", "cpuquota", "cpuperiod", "cpuset", "cpulimit")),
            Map.entry(CheckpointRestoreSection.class, Set.of("container_level_enabled")),
            Map.entry(ImageSection.class, Set.of("default_transport", "global_auth_file", "namespaced_auth_dir",
                    "pause_image", "pause_image_auth_file", "pause_command", "pinned_images", "signature_policy",
                    "signature_policy_dir", "insecure_registries", "image_volumes", "big_files_temporary_dir",
                    "auto_reload_registries", "pull_progress_timeout", "oci_artifact_mount_support",
                    "short_name_mode",
                    // our own addition: the parallel layer download limit
                    "max_parallel_downloads")),
            Map.entry(NetworkSection.class, Set.of("cni_default_network", "network_dir", "plugin_dir", "plugin_dirs",
                    "cni_status_grace_period")),
            Map.entry(MetricsSection.class, Set.of("enable_metrics", "metrics_collectors", "metrics_host",
                    "metrics_port", "metrics_socket", "metrics_cert", "metrics_key")),
            Map.entry(TracingSection.class, Set.of("enable_tracing", "tracing_endpoint",
                    "tracing_sampling_rate_per_million")),
            Map.entry(StatsSection.class, Set.of("stats_collection_period", "collection_period",
                    "included_pod_metrics")),
            Map.entry(NriSection.class, Set.of("enable_nri", "nri_listen", "nri_plugin_dir", "nri_plugin_config_dir",
                    "nri_disable_connections", "nri_plugin_registration_timeout", "nri_plugin_request_timeout",
                    "default_validator")),
            Map.entry(NriDefaultValidator.class, Set.of("nri_enable_default_validator",
                    "nri_validator_reject_oci_hook_adjustment",
                    "nri_validator_reject_runtime_default_seccomp_adjustment",
                    "nri_validator_reject_unconfined_seccomp_adjustment",
                    "nri_validator_reject_custom_seccomp_adjustment", "nri_validator_reject_namespace_adjustment",
                    "nri_validator_required_plugins", "nri_validator_tolerate_missing_plugins_annotation")));

    private static List<Problems.Problem> problemsOf(CrioConfig config) {
        Problems problems = new Problems();
        config.validate(problems);
        return problems.all();
    }

    /** The defaults with the values at the given dotted keys replaced, converted as the loader does. */
    private static CrioConfig defaultsWith(Map<String, JsonNode> values) throws Exception {
        ObjectNode tree = ConfigMapper.TREES.valueToTree(CrioConfig.defaults());
        values.forEach((key, value) -> ConfigTrees.set(tree, key, value));
        return ConfigMapper.TREES.treeToValue(tree, CrioConfig.class);
    }

    private static CrioConfig defaultsWith(String key, JsonNode value) throws Exception {
        return defaultsWith(Map.of(key, value));
    }

    private static CrioConfig defaultsWith(String key, String value) throws Exception {
        return defaultsWith(key, TextNode.valueOf(value));
    }

    private static void assertProblemAt(CrioConfig config, String key, String... mentions) {
        List<Problems.Problem> all = problemsOf(config);
        Problems.Problem p = all.stream().filter(x -> x.key().equals(key)).findFirst().orElse(null);
        assertNotNull(p, "expected a problem at " + key + ", got " + all);
        for (String m : mentions) {
            assertTrue(p.message().contains(m), "message should mention " + m + ": " + p.message());
        }
    }

    @Test
    void defaultsAreValid() {
        assertEquals(List.of(), problemsOf(CrioConfig.defaults()));
    }

    @Test
    void everyTableHasExactlyCrioKeys() {
        for (Map.Entry<Class<?>, Set<String>> e : CRIO_KEYS.entrySet()) {
            Set<String> keys = Stream.of(e.getKey().getRecordComponents()).map(ConfigSchema::key)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(e.getValue()), keys, e.getKey().getSimpleName());
        }
    }

    @Test
    void everyRecordIsCoveredAndDocumented() {
        List<Class<?>> seen = new ArrayList<>();
        collectRecords(CrioSection.class, seen);
        assertEquals(new TreeSet<>(CRIO_KEYS.keySet().stream().map(Class::getSimpleName).toList()),
                new TreeSet<>(seen.stream().map(Class::getSimpleName).toList()));
        for (Class<?> type : seen) {
            assertNotNull(type.getAnnotation(Doc.class), type.getSimpleName() + " has no table description");
            for (RecordComponent c : type.getRecordComponents()) {
                if (c.getType().isRecord()) {
                    continue; // a nested table is described by its own record
                }
                Doc doc = c.getAnnotation(Doc.class);
                assertNotNull(doc, type.getSimpleName() + "." + c.getName() + " has no description");
                assertTrue(doc.value().length >= 1 && doc.value().length <= 4,
                        type.getSimpleName() + "." + c.getName() + " description should have 1 to 4 lines");
            }
        }
    }

    private static void collectRecords(Class<?> type, List<Class<?>> seen) {
        if (seen.contains(type)) {
            return;
        }
        seen.add(type);
        for (RecordComponent c : type.getRecordComponents()) {
            Class<?> nested = c.getType().isRecord() ? c.getType() : ConfigSchema.mapValueType(c);
            if (nested != null && nested.isRecord()) {
                collectRecords(nested, seen);
            }
        }
    }

    @Test
    void trickyComponentNamesMapToCrioKeys() throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("grpcMaxSendMsgSize", "grpc_max_send_msg_size");
        expected.put("streamTlsCa", "stream_tls_ca");
        expected.put("streamEnableTls", "stream_enable_tls");
        expected.put("imagestore", "imagestore");
        expected.put("runroot", "runroot");
        expected.put("cdiSpecDirs", "cdi_spec_dirs");
        expected.put("minInjectedGomaxprocs", "min_injected_gomaxprocs");
        expected.put("minimumMappableUid", "minimum_mappable_uid");
        expected.put("hostnetworkDisableSelinux", "hostnetwork_disable_selinux");
        expected.put("disableHostportMapping", "disable_hostport_mapping");
        expected.put("irqbalanceConfigRestoreFile", "irqbalance_config_restore_file");
        expected.put("blockioConfigFile", "blockio_config_file");
        expected.put("infraCtrCpuset", "infra_ctr_cpuset");
        expected.put("deviceOwnershipFromSecurityContext", "device_ownership_from_security_context");
        expected.put("ociArtifactMountSupport", "oci_artifact_mount_support");
        expected.put("tracingSamplingRatePerMillion", "tracing_sampling_rate_per_million");
        expected.put("nriValidatorRejectOciHookAdjustment", "nri_validator_reject_oci_hook_adjustment");
        expected.put("cpushares", "cpushares");
        expected.put("checkpointRestore", "checkpoint_restore");
        Map<String, String> actual = new LinkedHashMap<>();
        List<Class<?>> records = new ArrayList<>();
        collectRecords(CrioSection.class, records);
        for (Class<?> type : records) {
            for (RecordComponent c : type.getRecordComponents()) {
                actual.put(c.getName(), ConfigSchema.key(c));
            }
        }
        expected.forEach((component, key) -> assertEquals(key, actual.get(component), component));

        // Jackson (the mapper that reads the files) uses the same names.
        JsonNode tree = ConfigMapper.TREES.valueToTree(CrioConfig.defaults());
        assertEquals(83886080, tree.at("/crio/api/grpc_max_send_msg_size").asLong());
        assertTrue(tree.at("/crio/runtime/hostnetwork_disable_selinux").asBoolean());
        assertEquals("checkpoint_restore", tree.at("/crio/checkpoint_restore/container_level_enabled").asText());
        assertEquals(240, tree.at("/crio/runtime/runtimes/runc/container_create_timeout").asLong());
    }

    @Test
    void defaultsSurviveTheTreeRoundTrip() throws Exception {
        JsonNode tree = ConfigMapper.TREES.valueToTree(CrioConfig.defaults());
        assertEquals(CrioConfig.defaults(), ConfigMapper.TREES.treeToValue(tree, CrioConfig.class));
        List<String> unknown = new ArrayList<>();
        ConfigSchema.findUnknownKeys(tree, CrioConfig.class, "", unknown::add);
        assertEquals(List.of(), unknown, "serialisation must produce only schema keys");
    }

    @Test
    void projectDefaults() {
        RuntimeSection rt = CrioConfig.defaults().crio().runtime();
        assertEquals("runc", rt.defaultRuntime());
        assertEquals(List.of("crun", "runc"), List.copyOf(rt.runtimes().keySet()));
        assertEquals("/run/runc", rt.runtimes().get("runc").runtimeRoot());
        assertEquals("/run/crun", rt.runtimes().get("crun").runtimeRoot());
        assertEquals("", rt.runtimes().get("runc").runtimePath());
        assertEquals("oci", rt.runtimes().get("crun").runtimeType());
        assertEquals("system.slice", rt.runtimes().get("runc").monitorCgroup());
        assertTrue(rt.dropInfraCtr());
        assertEquals("systemd", rt.cgroupManager());
        assertEquals("info", rt.logLevel());
        assertEquals(List.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP",
                "NET_BIND_SERVICE", "KILL"), rt.defaultCapabilities());
        assertEquals(List.of("/opt/cni/bin/", "/usr/lib/cni/"), CrioConfig.defaults().crio().network().pluginDirs());
        assertTrue(CrioConfig.defaults().crio().image().pauseImage().startsWith("registry.k8s.io/pause:3.10"));
        assertEquals(83886080L, CrioConfig.defaults().crio().api().grpcMaxRecvMsgSize());
        assertEquals(9090, CrioConfig.defaults().crio().metrics().metricsPort());
    }

    @Test
    void invalidCgroupManager() throws Exception {
        assertProblemAt(defaultsWith("crio.runtime.cgroup_manager", "foo"), "crio.runtime.cgroup_manager",
                "foo", "systemd", "cgroupfs");
    }

    @Test
    void invalidLogLevel() throws Exception {
        assertProblemAt(defaultsWith("crio.runtime.log_level", "loud"), "crio.runtime.log_level",
                "loud", "info", "debug", "trace");
    }

    @Test
    void defaultRuntimeMustNameARuntimeTable() throws Exception {
        assertProblemAt(defaultsWith("crio.runtime.default_runtime", "nope"), "crio.runtime.default_runtime",
                "nope", "crun", "runc");
        assertEquals(List.of(), problemsOf(defaultsWith("crio.runtime.default_runtime", "crun")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"crio.api.stream_idle_timeout", "crio.image.pull_progress_timeout",
            "crio.network.cni_status_grace_period", "crio.nri.nri_plugin_registration_timeout",
            "crio.nri.nri_plugin_request_timeout"})
    void badDurationsAreProblems(String key) throws Exception {
        assertProblemAt(defaultsWith(key, "ten seconds"), key, "ten seconds");
        assertEquals(List.of(), problemsOf(defaultsWith(key, "1m30s")));
    }

    @Test
    void otherEnumerationsAndRanges() throws Exception {
        assertProblemAt(defaultsWith("crio.image.image_volumes", "copy"), "crio.image.image_volumes", "mkdir");
        assertProblemAt(defaultsWith("crio.image.short_name_mode", "lenient"), "crio.image.short_name_mode");
        assertProblemAt(defaultsWith("crio.checkpoint_restore.container_level_enabled", "all"),
                "crio.checkpoint_restore.container_level_enabled", "checkpoint_only");
        assertProblemAt(defaultsWith("crio.metrics.metrics_port", IntNode.valueOf(70000)), "crio.metrics.metrics_port",
                "65535");
        assertProblemAt(defaultsWith("crio.api.stream_port", "http"), "crio.api.stream_port");
        assertProblemAt(defaultsWith("crio.api.tls_min_version", "VersionTLS10"), "crio.api.tls_min_version");
        assertProblemAt(defaultsWith("crio.runtime.log_size_max", IntNode.valueOf(100)), "crio.runtime.log_size_max",
                "8192");
        assertProblemAt(defaultsWith("crio.runtime.runtimes.runc.runtime_type", "docker"),
                "crio.runtime.runtimes.runc.runtime_type", "oci", "vm", "pod");
        assertProblemAt(defaultsWith("crio.runtime.timezone", "Mars/Olympus"), "crio.runtime.timezone");
        assertEquals(List.of(), problemsOf(defaultsWith("crio.runtime.timezone", "Europe/Paris")));
        assertProblemAt(defaultsWith("crio.runtime.infra_ctr_cpuset", "3-1"), "crio.runtime.infra_ctr_cpuset");
        assertProblemAt(defaultsWith("crio.log_dir", "relative/logs"), "crio.log_dir", "absolute");
        assertProblemAt(defaultsWith("crio.image.pause_image", ""), "crio.image.pause_image");

        ArrayNode sysctls = ConfigMapper.TREES.createArrayNode().add("net.ipv4.ip_forward = 1");
        assertProblemAt(defaultsWith("crio.runtime.default_sysctls", sysctls), "crio.runtime.default_sysctls");
        ArrayNode ulimits = ConfigMapper.TREES.createArrayNode().add("nofile=2048:1024");
        assertProblemAt(defaultsWith("crio.runtime.default_ulimits", ulimits), "crio.runtime.default_ulimits");
        ArrayNode caps = ConfigMapper.TREES.createArrayNode().add("CAP_CHOWN");
        assertProblemAt(defaultsWith("crio.runtime.default_capabilities", caps), "crio.runtime.default_capabilities");
        ArrayNode devices = ConfigMapper.TREES.createArrayNode().add("/dev/sdc:/mnt/sdc:rwm");
        assertProblemAt(defaultsWith("crio.runtime.additional_devices", devices), "crio.runtime.additional_devices");

        ArrayNode good = ConfigMapper.TREES.createArrayNode().add("nofile=1024:2048").add("nproc=-1");
        ArrayNode goodDevices = ConfigMapper.TREES.createArrayNode().add("/dev/sdc:/dev/xvdc:rwm").add("/dev/fuse:rw");
        assertEquals(List.of(), problemsOf(defaultsWith(Map.of(
                "crio.runtime.default_ulimits", good,
                "crio.runtime.additional_devices", goodDevices,
                "crio.runtime.default_sysctls", ConfigMapper.TREES.createArrayNode().add("net.ipv4.ping_group_range=0 1"),
                "crio.runtime.default_capabilities", ConfigMapper.TREES.createArrayNode().add("net_admin")))));
    }

    @Test
    void monitorCgroupMustSuitTheCgroupManager() throws Exception {
        // The built-in system.slice is fine under both managers (cgroupfs drops it).
        CrioConfig cgroupfs = defaultsWith("crio.runtime.cgroup_manager", "cgroupfs");
        assertEquals(List.of(), problemsOf(cgroupfs));
        RuntimeHandler runc = cgroupfs.crio().runtime().runtimes().get("runc");
        assertEquals("", cgroupfs.crio().runtime().effectiveMonitorCgroup(runc));

        assertProblemAt(defaultsWith(Map.of("crio.runtime.cgroup_manager", TextNode.valueOf("cgroupfs"),
                "crio.runtime.conmon_cgroup", TextNode.valueOf("conmon.slice"))), "crio.runtime.conmon_cgroup", "pod");
        assertProblemAt(defaultsWith("crio.runtime.runtimes.runc.monitor_cgroup", "/my/cgroup"),
                "crio.runtime.runtimes.runc.monitor_cgroup", ".slice");
        // a non-default handler with a bad monitor cgroup does not stop start-up: it is left out, as in CRI-O
        CrioConfig badCrun = defaultsWith("crio.runtime.runtimes.crun.monitor_cgroup", "/my/cgroup");
        assertEquals(List.of(), problemsOf(badCrun));
        assertTrue(badCrun.crio().runtime().unusableRuntimes().containsKey("crun"));
        assertEquals(List.of(), problemsOf(defaultsWith("crio.runtime.runtimes.crun.monitor_cgroup", "pod")));
    }

    @Test
    void partialRuntimeTableTakesEmptyValues() throws Exception {
        ObjectNode kata = ConfigMapper.TREES.createObjectNode();
        kata.put("runtime_path", "/usr/bin/containerd-shim-kata-v2");
        kata.put("runtime_type", "vm");
        CrioConfig config = defaultsWith("crio.runtime.runtimes.kata", kata);
        RuntimeHandler handler = config.crio().runtime().runtimes().get("kata");
        assertEquals("", handler.runtimeRoot());
        assertEquals(List.of(), handler.monitorEnv());
        assertEquals(Map.of(), handler.defaultAnnotations());
        assertFalse(handler.noSyncLog());
        assertEquals(0, handler.containerCreateTimeout());
        assertEquals(240, handler.effectiveContainerCreateTimeout());
        assertEquals(List.of(), problemsOf(config));
        assertEquals(List.of("crun", "kata", "runc"), List.copyOf(config.crio().runtime().runtimes().keySet()));

        ObjectNode workload = ConfigMapper.TREES.createObjectNode();
        workload.put("annotation_prefix", "io.example.wl");
        CrioConfig withWorkload = defaultsWith("crio.runtime.workloads.wl", workload);
        assertEquals(WorkloadResources.defaults(), withWorkload.crio().runtime().workloads().get("wl").resources());
        assertProblemAt(withWorkload, "crio.runtime.workloads.wl.activation_annotation");
    }

    @Test
    void workloadResourcesAreChecked() throws Exception {
        ObjectNode workload = ConfigMapper.TREES.createObjectNode();
        workload.put("activation_annotation", "io.example/workload");
        ObjectNode resources = workload.putObject("resources");
        resources.put("cpuset", "0-x");
        resources.put("cpuperiod", 10);
        resources.put("cpushares", 50);
        resources.put("cpuquota", 10);
        CrioConfig config = defaultsWith("crio.runtime.workloads.wl", workload);
        assertProblemAt(config, "crio.runtime.workloads.wl.resources.cpuset");
        assertProblemAt(config, "crio.runtime.workloads.wl.resources.cpuperiod", "1000");
        assertProblemAt(config, "crio.runtime.workloads.wl.resources.cpuquota", "cpushares");
    }

    @Test
    void handlerCombinationsAreChecked() throws Exception {
        assertProblemAt(defaultsWith("crio.runtime.runtimes.runc.stream_websockets", com.fasterxml.jackson.databind.node.BooleanNode.TRUE),
                "crio.runtime.runtimes.runc.stream_websockets", "pod");
        assertProblemAt(defaultsWith("crio.runtime.runtimes.runc.runtime_config_path", "/etc/runc.toml"),
                "crio.runtime.runtimes.runc.runtime_config_path", "vm");
        assertProblemAt(defaultsWith("crio.runtime.runtimes.runc.exec_cpu_affinity", "last"),
                "crio.runtime.runtimes.runc.exec_cpu_affinity", "first");
        assertProblemAt(defaultsWith("crio.runtime.runtimes.runc.allowed_annotations",
                ConfigMapper.TREES.createArrayNode().add("io.example/unknown")),
                "crio.runtime.runtimes.runc.allowed_annotations", "io.example/unknown");
    }

    @Test
    void invalidNonDefaultHandlersAreReportedNotFatal() throws Exception {
        CrioConfig config = defaultsWith("crio.runtime.runtimes.crun.runtime_type", "docker");
        assertEquals(List.of(), problemsOf(config), "CRI-O only ignores a broken non-default handler");
        Map<String, List<Problems.Problem>> unusable = config.crio().runtime().unusableRuntimes();
        assertEquals(Set.of("crun"), unusable.keySet());
        assertEquals("crio.runtime.runtimes.crun.runtime_type", unusable.get("crun").get(0).key());
        assertEquals(Map.of(), CrioConfig.defaults().crio().runtime().unusableRuntimes());
    }

    @Test
    void statsMetricsAreChecked() throws Exception {
        assertProblemAt(defaultsWith("crio.stats.included_pod_metrics",
                ConfigMapper.TREES.createArrayNode().add("cpu").add("all")), "crio.stats.included_pod_metrics", "all");
        assertProblemAt(defaultsWith("crio.stats.included_pod_metrics",
                ConfigMapper.TREES.createArrayNode().add("gpu")), "crio.stats.included_pod_metrics", "gpu");
        CrioConfig all = defaultsWith("crio.stats.included_pod_metrics", ConfigMapper.TREES.createArrayNode().add("all"));
        assertEquals(List.of(), problemsOf(all));
        assertEquals(StatsSection.AVAILABLE_POD_METRICS, all.crio().stats().enabledPodMetrics());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-0", "10s", "300ms", "1m30s", "1.5h", "2h45m", "-2s", "+3s", "1us", "1\u00b5s",
            "100ns", ".5s", "1.s"})
    void goDurationsAreAccepted(String text) {
        assertTrue(Durations.isValid(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10", "s", "1x", "1.5", "10 s", " 10s", "1m30", "-", ".s", "1d", "9999999999h"})
    void malformedDurationsAreRejected(String text) {
        assertFalse(Durations.isValid(text), text);
    }

    @Test
    void durationValues() {
        assertEquals(90_000_000_000L, Durations.parseNanos("1m30s"));
        assertEquals(300_000_000L, Durations.parseNanos("300ms"));
        assertEquals(5_400_000_000_000L, Durations.parseNanos("1.5h"));
        assertEquals(-2_000_000_000L, Durations.parseNanos("-2s"));
        assertTrue(Durations.isValidTomlDuration("1000000000"), "TOML integers are nanoseconds");
        assertEquals(1_000_000_000L, Durations.tomlDurationNanos("1000000000"));
    }

    @Test
    void mapsAreSortedAndImmutable() throws Exception {
        ObjectNode annotations = ConfigMapper.TREES.createObjectNode();
        annotations.put("z.example", "1");
        annotations.put("a.example", "2");
        CrioConfig config = defaultsWith("crio.runtime.runtimes.runc.default_annotations", annotations);
        Map<String, String> m = config.crio().runtime().runtimes().get("runc").defaultAnnotations();
        assertEquals(List.of("a.example", "z.example"), List.copyOf(m.keySet()));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> m.put("x", "y"));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
                () -> config.crio().runtime().defaultCapabilities().add("SYS_ADMIN"));
    }
}
