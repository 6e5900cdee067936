package io.crio.daemon.sandbox;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.api.v1.LinuxPodSandboxStatus;
import io.crio.api.v1.Namespace;
import io.crio.api.v1.PodIP;
import io.crio.api.v1.PodSandbox;
import io.crio.api.v1.PodSandboxFilter;
import io.crio.api.v1.PodSandboxNetworkStatus;
import io.crio.api.v1.PodSandboxState;
import io.crio.api.v1.PodSandboxStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** The CRI views of sandboxes: PodSandboxStatus (with its verbose info) and ListPodSandbox with filters. */
public final class SandboxViews {

    private SandboxViews() {}

    public static PodSandboxStatus status(Sandbox sb, Predicate<SandboxRecord> infraExited) {
        SandboxRecord r = sb.record();
        PodSandboxNetworkStatus.Builder net = PodSandboxNetworkStatus.newBuilder();
        if (!r.ips().isEmpty()) {
            net.setIp(r.ips().get(0));
            for (String ip : r.ips().subList(1, r.ips().size())) {
                net.addAdditionalIps(PodIP.newBuilder().setIp(ip));
            }
        }
        return PodSandboxStatus.newBuilder()
                .setId(r.id())
                .setMetadata(sb.config().getMetadata())
                .setState(state(r, infraExited))
                .setCreatedAt(r.createdAt())
                .setNetwork(net)
                .setLinux(LinuxPodSandboxStatus.newBuilder()
                        .setNamespaces(Namespace.newBuilder().setOptions(sb.namespaceOptions())))
                .putAllLabels(sb.config().getLabelsMap())
                .putAllAnnotations(sb.config().getAnnotationsMap())
                .setRuntimeHandler(r.runtimeHandler())
                .build();
    }

    public static PodSandbox item(Sandbox sb, Predicate<SandboxRecord> infraExited) {
        SandboxRecord r = sb.record();
        return PodSandbox.newBuilder()
                .setId(r.id())
                .setMetadata(sb.config().getMetadata())
                .setState(state(r, infraExited))
                .setCreatedAt(r.createdAt())
                .putAllLabels(sb.config().getLabelsMap())
                .putAllAnnotations(sb.config().getAnnotationsMap())
                .setRuntimeHandler(r.runtimeHandler())
                .build();
    }

    /** Ready until stopped, or until its infra container (if it has one) exits. */
    static PodSandboxState state(SandboxRecord r, Predicate<SandboxRecord> infraExited) {
        boolean ready = r.ready() && (r.infraContainerId().isEmpty() || !infraExited.test(r));
        return ready ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
    }

    /** The sandboxes matching {@code filter} (an ID that is a full ID or a unique prefix, state, labels), oldest first. */
    public static List<PodSandbox> list(SandboxStore store, PodSandboxFilter filter,
                                        Predicate<SandboxRecord> infraExited) {
        List<Sandbox> candidates;
        if (!filter.getId().isEmpty()) {
            List<Sandbox> byPrefix = new ArrayList<>();
            for (Sandbox sb : store.all()) {
                if (sb.id().startsWith(filter.getId())) {
                    byPrefix.add(sb);
                }
            }
            // a prefix that names more than one sandbox matches none, as an exact lookup would
            candidates = byPrefix.size() == 1 ? byPrefix : List.of();
        } else {
            candidates = new ArrayList<>(store.all());
        }
        List<PodSandbox> out = new ArrayList<>();
        candidates.stream().sorted(Comparator.comparingLong(sb -> sb.record().createdAt())).forEach(sb -> {
            if (filter.hasState() && filter.getState().getState() != state(sb.record(), infraExited)) {
                return;
            }
            if (!matches(sb.config().getLabelsMap(), filter.getLabelSelectorMap())) {
                return;
            }
            out.add(item(sb, infraExited));
        });
        return out;
    }

    static boolean matches(Map<String, String> labels, Map<String, String> selector) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The verbose {@code info} of PodSandboxStatus: as CRI-O for a pod without an infra container, a
     * {@code runtimeSpec} describing the pod (hostname, namespaces, cgroup parent, sysctls, annotations).
     */
    public static String info(Sandbox sb, java.util.OptionalInt infraPid, String pauseImage) {
        SandboxRecord r = sb.record();
        if (!r.infraContainerId().isEmpty()) {
            ObjectNode root = SandboxStore.JSON.createObjectNode();
            root.put("image", pauseImage);
            root.put("pid", infraPid.orElse(0));
            try {
                root.set("runtimeSpec", SandboxStore.JSON.readTree(java.nio.file.Path.of(r.runDir(), "config.json").toFile()));
            } catch (java.io.IOException e) {
                root.putObject("runtimeSpec");
            }
            return root.toString();
        }
        ObjectNode root = SandboxStore.JSON.createObjectNode();
        ObjectNode spec = root.putObject("runtimeSpec");
        spec.put("ociVersion", "1.0.2");
        spec.put("hostname", r.hostname());
        ArrayNode mounts = spec.putArray("mounts");
        mount(mounts, "/dev/shm", r.shmPath());
        mount(mounts, "/etc/resolv.conf", r.resolvPath());
        mount(mounts, "/etc/hostname", r.hostnamePath());
        ObjectNode ann = spec.putObject("annotations");
        SandboxAnnotations.of(r, sb.config(), sb.hostNetwork(), "", r.infraContainerId().isEmpty()).forEach(ann::put);
        ObjectNode linux = spec.putObject("linux");
        linux.put("cgroupsPath", r.cgroupDir());
        ObjectNode sysctl = linux.putObject("sysctl");
        r.sysctls().forEach(sysctl::put);
        ArrayNode ns = linux.putArray("namespaces");
        r.namespaces().forEach((kind, path) -> ns.addObject()
                .put("type", kind.equals("net") ? "network" : kind)
                .put("path", path));
        if (!r.networkName().isEmpty()) {
            root.put("network", r.networkName());
        }
        return root.toString();
    }

    private static void mount(ArrayNode mounts, String destination, String source) {
        mounts.addObject().put("destination", destination).put("type", "bind").put("source", source)
                .putArray("options").add("rbind").add("rw");
    }
}
