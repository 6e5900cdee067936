package io.crio.cni;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * What a runtime tells CNI plugins about one container attachment.
 *
 * @param containerId the sandbox ID ({@code CNI_CONTAINERID})
 * @param netnsPath the network namespace path ({@code CNI_NETNS}); may be empty
 * @param ifName the interface to create in the namespace ({@code CNI_IFNAME}); {@code eth0} when empty
 * @param args key/value pairs passed as {@code CNI_ARGS} ({@code K=V;K=V}) in this order; callers that pass
 *     arguments a plugin might not know put {@code IgnoreUnknown=1} first
 * @param capabilityArgs values for plugin capabilities, e.g. {@code portMappings} (a list of maps with
 *     {@code hostPort, containerPort, protocol, hostIP}) or {@code bandwidth} (a map with {@code ingressRate,
 *     ingressBurst, egressRate, egressBurst}); a plugin only gets those its {@code capabilities} declare
 */
public record RuntimeConf(String containerId, String netnsPath, String ifName, List<Map.Entry<String, String>> args,
        Map<String, Object> capabilityArgs) {

    public static final String DEFAULT_IF_NAME = "eth0";

    public RuntimeConf {
        if (containerId == null || containerId.isEmpty()) {
            throw new IllegalArgumentException("container ID is required");
        }
        netnsPath = netnsPath == null ? "" : netnsPath;
        ifName = ifName == null || ifName.isEmpty() ? DEFAULT_IF_NAME : ifName;
        args = args == null ? List.of() : args.stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList();
        capabilityArgs = capabilityArgs == null
                ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(capabilityArgs));
    }

    /** An attachment on {@code eth0} without arguments or capability values. */
    public RuntimeConf(String containerId, String netnsPath) {
        this(containerId, netnsPath, DEFAULT_IF_NAME, List.of(), Map.of());
    }

    /** The value of {@code CNI_ARGS}. */
    public String cniArgs() {
        StringJoiner j = new StringJoiner(";");
        for (Map.Entry<String, String> e : args) {
            j.add(e.getKey() + "=" + e.getValue());
        }
        return j.toString();
    }
}
