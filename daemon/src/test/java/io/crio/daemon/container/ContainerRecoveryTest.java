package io.crio.daemon.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.LinuxContainerConfig;
import io.crio.api.v1.LinuxContainerResources;
import io.crio.api.v1.NamespaceMode;
import io.crio.oci.spec.Spec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerRecoveryTest {

    @Test
    void aSpecBuiltForAContainerGivesItsRecordBack() throws Exception {
        ContainerConfig.Builder c = ContainerConfig.newBuilder().putLabels("app", "web").putAnnotations("note", "kept")
                .setTty(true).setLogPath("c.log").addCommand("/bin/sh")
                .setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                        .setCpuShares(512).setCpuQuota(20000).setCpuPeriod(100000).setMemoryLimitInBytes(64 << 20)));
        ContainerSpecInput in = ContainerSpecBuilderTest.input(c, ContainerSpecBuilderTest.pod(NamespaceMode.CONTAINER),
                Map.of("net", "/ns/net", "ipc", "/ns/ipc", "uts", "/ns/uts"), 0);
        Spec spec = ContainerSpecBuilder.build(in);

        ContainerRecovery.Recovered r = ContainerRecovery.fromSpec(ContainerStore.JSON.readTree(spec.toJson())).orElseThrow();
        assertEquals("cid", r.id());
        assertEquals("k8s_c", r.name());
        assertEquals("pid", r.sandboxId());
        assertEquals("c", r.config().getMetadata().getName());
        assertEquals(Map.of("app", "web"), r.config().getLabelsMap());
        assertEquals("kept", r.config().getAnnotationsMap().get("note"));
        assertTrue(r.config().getTty());
        assertEquals("busybox", r.imageName());
        assertEquals("busybox@sha256:x", r.imageRef());
        assertEquals("/logs/c.log", r.logPath());
        assertEquals(1, r.createdAt());
        assertEquals(512, r.resources().getCpuShares());
        assertEquals(20000, r.resources().getCpuQuota());
        assertEquals(64 << 20, r.resources().getMemoryLimitInBytes());
        assertEquals("/bin/sh", r.config().getCommand(0));
    }

    @Test
    void specsOfOtherContainersAreNotRecovered() throws Exception {
        assertTrue(ContainerRecovery.fromSpec(ContainerStore.JSON.readTree("{\"annotations\":{"
                + "\"io.kubernetes.cri-o.ContainerType\":\"sandbox\",\"io.kubernetes.cri-o.ContainerID\":\"x\"}}")).isEmpty());
        assertTrue(ContainerRecovery.fromSpec(ContainerStore.JSON.readTree("{\"annotations\":{}}")).isEmpty());
        assertTrue(ContainerRecovery.fromSpec(ContainerStore.JSON.readTree("{\"annotations\":{"
                + "\"io.kubernetes.cri-o.ContainerType\":\"container\"}}")).isEmpty(), "no ID, name or pod");
    }
}
