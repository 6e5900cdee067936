package io.crio.daemon.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.oci.spec.Spec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfraSpecTest {

    static InfraSpec.Input input(Map<String, String> namespaces, boolean hostIpc) {
        return new InfraSpec.Input("/rootfs", List.of("/pause"), List.of("A=1"), "pod-a", namespaces,
                "/run/x/shm", hostIpc, "/run/x/resolv.conf", "/run/x/hostname", "/kubepods/crio-abc", -998, 0, 0,
                Map.of("io.kubernetes.cri-o.SandboxID", "abc"), null);
    }

    @Test
    void joinsThePinnedNamespacesAndOwnsItsPidNamespace() throws Exception {
        Spec spec = InfraSpec.build(input(Map.of("net", "/ns/netns/abc", "ipc", "/ns/ipcns/abc", "uts", "/ns/utsns/abc"), false));
        JsonNode json = new ObjectMapper().readTree(spec.toJson());
        assertEquals("/pause", json.at("/process/args/0").asText());
        assertEquals("/rootfs", json.at("/root/path").asText());
        assertTrue(json.at("/root/readonly").asBoolean());
        assertEquals("pod-a", json.at("/hostname").asText());
        assertEquals(-998, json.at("/process/oomScoreAdj").asInt());
        assertEquals(0, json.at("/process/user/uid").asInt());
        assertTrue(json.at("/process/noNewPrivileges").asBoolean());
        assertEquals("/kubepods/crio-abc", json.at("/linux/cgroupsPath").asText());
        Map<String, String> ns = new java.util.HashMap<>();
        json.at("/linux/namespaces").forEach(n -> ns.put(n.get("type").asText(), n.path("path").asText("")));
        assertEquals(Map.of("pid", "", "mount", "", "network", "/ns/netns/abc", "ipc", "/ns/ipcns/abc",
                "uts", "/ns/utsns/abc"), ns);
        List<String> destinations = new java.util.ArrayList<>();
        json.at("/mounts").forEach(m -> destinations.add(m.get("destination").asText()));
        assertTrue(destinations.containsAll(List.of("/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/dev/shm",
                "/etc/resolv.conf", "/etc/hostname")), destinations.toString());
        assertTrue(json.at("/process/env").toString().contains("PATH="));
        assertFalse(json.at("/linux/maskedPaths").isEmpty());
    }

    @Test
    void hostNamespacesAreNotListed() throws Exception {
        Spec spec = InfraSpec.build(input(Map.of(), true));
        JsonNode json = new ObjectMapper().readTree(spec.toJson());
        List<String> types = new java.util.ArrayList<>();
        json.at("/linux/namespaces").forEach(n -> types.add(n.get("type").asText()));
        assertEquals(List.of("pid", "mount"), types);
        assertTrue(json.path("hostname").isMissingNode(), "no hostname without a private UTS namespace");
    }
}
