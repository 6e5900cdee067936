package io.crio.daemon.config;

import java.util.List;

/** The {@code [crio.stats]} table: collecting container and pod statistics. */
@Doc("The crio.stats table controls how container and pod statistics are gathered.")
public record StatsSection(
        @Doc({"Seconds between collections of pod and container stats. 0 collects them when",
              "they are asked for."})
        int statsCollectionPeriod,
        @Doc({"Seconds between collections of pod and container stats and pod sandbox metrics.",
              "0 collects them when they are asked for."})
        int collectionPeriod,
        @Doc({"Pod metric groups to report: cpu, disk, diskIO, hugetlb, memory, network, oom,",
              "process, spec, pressure; or just \"all\"."})
        List<String> includedPodMetrics) {

    /** Every metric group {@code included_pod_metrics} may name ("all" stands for all of them). */
    public static final List<String> AVAILABLE_POD_METRICS = List.of(
            "cpu", "disk", "diskIO", "hugetlb", "memory", "network", "oom", "process", "spec", "pressure");

    public StatsSection {
        includedPodMetrics = Records.list(includedPodMetrics);
    }

    public static StatsSection defaults() {
        return new StatsSection(0, 0, List.of());
    }

    /** The metric groups in force, with "all" expanded. */
    public List<String> enabledPodMetrics() {
        return includedPodMetrics.equals(List.of("all")) ? AVAILABLE_POD_METRICS : includedPodMetrics;
    }

    void validate(Problems problems) {
        String p = "crio.stats.";
        if (statsCollectionPeriod < 0) {
            problems.add(p + "stats_collection_period", "invalid value " + statsCollectionPeriod
                    + ", allowed: 0 (on demand) or more seconds");
        }
        if (collectionPeriod < 0) {
            problems.add(p + "collection_period", "invalid value " + collectionPeriod
                    + ", allowed: 0 (on demand) or more seconds");
        }
        if (includedPodMetrics.equals(List.of("all"))) {
            return;
        }
        for (String metric : includedPodMetrics) {
            if ("all".equals(metric)) {
                problems.add(p + "included_pod_metrics", "\"all\" must be the only entry when it is used");
            } else if (!AVAILABLE_POD_METRICS.contains(metric)) {
                problems.add(p + "included_pod_metrics", "unknown metric group \"" + metric + "\", allowed: all, "
                        + String.join(", ", AVAILABLE_POD_METRICS));
            }
        }
    }
}
