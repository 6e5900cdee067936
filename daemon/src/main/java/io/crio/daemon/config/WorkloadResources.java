package io.crio.daemon.config;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;

/** The {@code resources} table of a workload: default CPU settings of its containers; 0 or empty means unset. */
@Doc("Default CPU settings of the workload's containers; 0 or an empty string leaves one unset.")
public record WorkloadResources(
        @Doc("CPUs the containers may run on, as a Linux CPU list such as \"0-3,6\".")
        String cpuset,
        @Doc("CFS quota in microseconds per cpuperiod; must not be below cpushares.")
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        long cpuquota,
        @Doc("CFS period in microseconds; at least 1000 when set.")
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        long cpuperiod,
        @Doc("Relative CPU weight (cgroup cpu.shares).")
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        long cpushares,
        @Doc({"CPU limit in millicores; turned into a quota over cpuperiod (or the default",
              "period) and taking precedence over cpuquota."})
        @JsonSetter(nulls = Nulls.AS_EMPTY)
        long cpulimit) {

    /** The smallest CFS period the kernel accepts, in microseconds. */
    static final long MIN_CPU_PERIOD = 1000;

    public WorkloadResources {
        cpuset = Records.str(cpuset);
    }

    public static WorkloadResources defaults() {
        return new WorkloadResources("", 0, 0, 0, 0);
    }

    void validate(Problems problems, String prefix) {
        if (!Formats.isCpuList(cpuset)) {
            problems.add(prefix + "cpuset", "invalid value \"" + cpuset
                    + "\", allowed: empty or a Linux CPU list such as \"0-3,6\"");
        }
        if (cpushares < 0) {
            problems.add(prefix + "cpushares", "invalid value " + cpushares + ", allowed: 0 or more");
        }
        if (cpuperiod < 0 || (cpuperiod != 0 && cpuperiod < MIN_CPU_PERIOD)) {
            problems.add(prefix + "cpuperiod", "invalid value " + cpuperiod
                    + ", allowed: 0 (unset) or at least " + MIN_CPU_PERIOD + " microseconds");
        }
        if (cpuquota != 0 && cpushares >= 0 && cpuquota < cpushares) {
            problems.add(prefix + "cpuquota", "invalid value " + cpuquota
                    + ", allowed: 0 (unset) or not less than cpushares (" + cpushares + ")");
        }
    }
}
