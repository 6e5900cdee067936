package io.crio.daemon.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.crio.api.v1.PodSandboxConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code io.kubernetes.cri-o.*} annotations CRI-O writes into a pod's runtime spec (and that tools
 * read back), plus the pod's own annotations.
 */
final class SandboxAnnotations {

    private static final String P = "io.kubernetes.cri-o.";

    private SandboxAnnotations() {}

    static Map<String, String> of(SandboxRecord r, PodSandboxConfig config, boolean hostNetwork, String image,
                                  boolean spoofed) {
        Map<String, String> a = new LinkedHashMap<>(new TreeMap<>(config.getAnnotationsMap()));
        a.put(P + "ContainerType", "sandbox");
        a.put(P + "ContainerName", r.name());
        a.put(P + "SandboxID", r.id());
        a.put(P + "SandboxName", r.name());
        a.put(P + "Namespace", config.getMetadata().getNamespace());
        a.put(P + "KubeName", config.getMetadata().getName());
        a.put(P + "Labels", json(new TreeMap<>(config.getLabelsMap())));
        a.put(P + "Annotations", json(new TreeMap<>(config.getAnnotationsMap())));
        a.put(P + "Metadata", json(Map.of("name", config.getMetadata().getName(),
                "uid", config.getMetadata().getUid(), "namespace", config.getMetadata().getNamespace(),
                "attempt", config.getMetadata().getAttempt())));
        a.put(P + "HostName", r.hostname());
        a.put(P + "HostNetwork", Boolean.toString(hostNetwork));
        a.put(P + "RuntimeHandler", r.runtimeHandler());
        a.put(P + "CgroupParent", r.cgroupParent());
        a.put(P + "ShmPath", r.shmPath());
        a.put(P + "ResolvPath", r.resolvPath());
        a.put(P + "HostnamePath", r.hostnamePath());
        a.put(P + "LogPath", config.getLogDirectory());
        a.put(P + "Created", java.time.Instant.ofEpochSecond(0, r.createdAt()).toString());
        if (!image.isEmpty()) {
            a.put(P + "Image", image);
        }
        if (spoofed) {
            a.put(P + "Spoofed", "true");
        }
        a.put("io.kubernetes.container.name", "POD");
        a.put("io.kubernetes.pod.name", config.getMetadata().getName());
        a.put("io.kubernetes.pod.namespace", config.getMetadata().getNamespace());
        a.put("io.kubernetes.pod.uid", config.getMetadata().getUid());
        return a;
    }

    private static String json(Object o) {
        try {
            return SandboxStore.JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
