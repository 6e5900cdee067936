package io.crio.daemon.config;

import java.util.List;

/** The {@code [crio.metrics]} table: the Prometheus metrics endpoint. */
@Doc("The crio.metrics table configures the Prometheus metrics endpoint.")
public record MetricsSection(
        @Doc("Serve Prometheus metrics.")
        boolean enableMetrics,
        @Doc({"Metric collectors to enable. A name may carry the prefix \"crio_\" or",
              "\"container_runtime_crio_\"; both mean the same collector."})
        List<String> metricsCollectors,
        @Doc("Address or host name the metrics server listens on.")
        String metricsHost,
        @Doc("TCP port the metrics server listens on.")
        int metricsPort,
        @Doc("Unix socket to serve metrics on as well. Empty means none.")
        String metricsSocket,
        @Doc({"Certificate for serving metrics over TLS; a self-signed one is created when the",
              "file does not exist. Changes to the file are picked up. Empty serves plain HTTP."})
        String metricsCert,
        @Doc("Private key for metrics_cert; handled the same way as the certificate.")
        String metricsKey) {

    /** Every collector, by the name without prefixes; the default of {@code metrics_collectors}. */
    public static final List<String> ALL_COLLECTORS = List.of(
            "image_pulls_layer_size",
            "containers_events_dropped_total",
            "containers_oom_total",
            "processes_defunct",
            "operations_total",
            "operations_latency_seconds",
            "operations_latency_seconds_total",
            "operations_errors_total",
            "image_pulls_bytes_total",
            "image_pulls_skipped_bytes_total",
            "image_pulls_failure_total",
            "image_pulls_success_total",
            "image_layer_reuse_total",
            "containers_oom_count_total",
            "containers_seccomp_notifier_count_total",
            "resources_stalled_at_stage",
            "containers_stopped_monitor_count",
            "default_runtime");

    public MetricsSection {
        metricsCollectors = Records.list(metricsCollectors);
        metricsHost = Records.str(metricsHost);
        metricsSocket = Records.str(metricsSocket);
        metricsCert = Records.str(metricsCert);
        metricsKey = Records.str(metricsKey);
    }

    public static MetricsSection defaults() {
        return new MetricsSection(false, ALL_COLLECTORS, "127.0.0.1", 9090, "", "", "");
    }

    /** The collector name without its optional {@code container_runtime_} and {@code crio_} prefixes. */
    public static String strip(String collector) {
        String s = collector.startsWith("container_runtime_") ? collector.substring("container_runtime_".length())
                : collector;
        return s.startsWith("crio_") ? s.substring("crio_".length()) : s;
    }

    /** Whether the collector (with or without prefixes) is enabled. */
    public boolean collects(String collector) {
        String wanted = strip(collector);
        return metricsCollectors.stream().anyMatch(c -> strip(c).equals(wanted));
    }

    void validate(Problems problems) {
        problems.requireRange("crio.metrics.metrics_port", metricsPort, 0, 65535);
    }
}
