package io.crio.daemon.sandbox;

import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PortMapping;
import io.crio.cni.CniConfigLoader;
import io.crio.cni.CniExecutor;
import io.crio.cni.CniNetworkWatcher;
import io.crio.cni.CniResult;
import io.crio.cni.NetworkConfigList;
import io.crio.cni.RuntimeConf;
import io.crio.daemon.server.CriException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Attaches pods to the default CNI network and detaches them: the CNI_ARGS kubelet's network plugins
 * expect, port mappings for the {@code portmap} plugin (only when the pod has host ports) and bandwidth
 * limits from the pod's annotations.
 */
public final class PodNetwork {

    public static final String INGRESS_BANDWIDTH = "kubernetes.io/ingress-bandwidth";
    public static final String EGRESS_BANDWIDTH = "kubernetes.io/egress-bandwidth";
    static final String IF_NAME = "eth0";
    /** As CRI-O: bursts are not limited separately. */
    static final long UNLIMITED_BURST = Integer.MAX_VALUE;

    private final CniNetworkWatcher watcher;
    private final CniExecutor executor;

    public PodNetwork(CniNetworkWatcher watcher, CniExecutor executor) {
        this.watcher = watcher;
        this.executor = executor;
    }

    /** The network pods are attached to now; UNAVAILABLE when there is none. */
    public NetworkConfigList network() {
        CniConfigLoader.Lookup lookup = watcher.current();
        return lookup.network().orElseThrow(() -> new CriException(CriException.Kind.UNAVAILABLE,
                "cannot set up the pod network: " + lookup.problem()));
    }

    /** Runs CNI ADD for the pod; the result's IPs, IPv4 first. A failed ADD has already been undone. */
    public CniResult attach(NetworkConfigList net, String id, PodSandboxConfig config, String netnsPath) {
        try {
            return executor.add(net, runtimeConf(id, config, netnsPath));
        } catch (Exception e) {
            throw new CriException(CriException.Kind.INTERNAL, "failed to set up pod network (network "
                    + net.name() + "): " + e.getMessage(), e);
        }
    }

    /** Runs CNI DEL for the pod (from the cached result when there is one); succeeds when nothing is attached. */
    public void detach(String networkName, String id, PodSandboxConfig config, String netnsPath) {
        NetworkConfigList current = watcher.current().network()
                .filter(n -> n.name().equals(networkName)).orElse(null);
        try {
            executor.del(current, runtimeConf(id, config, netnsPath), networkName);
        } catch (Exception e) {
            throw new CriException(CriException.Kind.INTERNAL, "failed to tear down pod network (network "
                    + networkName + "): " + e.getMessage(), e);
        }
    }

    static RuntimeConf runtimeConf(String id, PodSandboxConfig config, String netnsPath) {
        List<Map.Entry<String, String>> args = List.of(
                Map.entry("IgnoreUnknown", "1"),
                Map.entry("K8S_POD_NAMESPACE", config.getMetadata().getNamespace()),
                Map.entry("K8S_POD_NAME", config.getMetadata().getName()),
                Map.entry("K8S_POD_INFRA_CONTAINER_ID", id),
                Map.entry("K8S_POD_UID", config.getMetadata().getUid()));
        return new RuntimeConf(id, netnsPath, IF_NAME, args, capabilityArgs(config));
    }

    static Map<String, Object> capabilityArgs(PodSandboxConfig config) {
        Map<String, Object> caps = new LinkedHashMap<>();
        List<Map<String, Object>> ports = new ArrayList<>();
        for (PortMapping p : config.getPortMappingsList()) {
            if (p.getHostPort() <= 0) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hostPort", p.getHostPort());
            m.put("containerPort", p.getContainerPort());
            m.put("protocol", p.getProtocol().name().toLowerCase(Locale.ROOT));
            m.put("hostIP", p.getHostIp());
            ports.add(m);
        }
        if (!ports.isEmpty()) {
            caps.put("portMappings", ports);
        }
        Map<String, Object> bandwidth = bandwidth(config.getAnnotationsMap());
        if (!bandwidth.isEmpty()) {
            caps.put("bandwidth", bandwidth);
        }
        return caps;
    }

    /** Bandwidth limits (bits per second) from the pod's annotations; INVALID_ARGUMENT when unparsable. */
    static Map<String, Object> bandwidth(Map<String, String> annotations) {
        Map<String, Object> bw = new LinkedHashMap<>();
        String in = annotations.get(INGRESS_BANDWIDTH);
        if (in != null) {
            bw.put("ingressRate", rate(INGRESS_BANDWIDTH, in));
            bw.put("ingressBurst", UNLIMITED_BURST);
        }
        String out = annotations.get(EGRESS_BANDWIDTH);
        if (out != null) {
            bw.put("egressRate", rate(EGRESS_BANDWIDTH, out));
            bw.put("egressBurst", UNLIMITED_BURST);
        }
        return bw;
    }

    private static long rate(String annotation, String value) {
        long v;
        try {
            v = Quantity.parse(value);
        } catch (IllegalArgumentException e) {
            throw CriException.invalidArgument("invalid " + annotation + " annotation: " + e.getMessage());
        }
        // kubelet's own bounds: 1 kbit/s to 1 Pbit/s
        if (v < 1000 || v > 1_000_000_000_000_000L) {
            throw CriException.invalidArgument("invalid " + annotation + " annotation \"" + value
                    + "\": must be between 1k and 1P bits per second");
        }
        return v;
    }
}
