package io.crio.daemon.sandbox;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.DNSConfig;
import io.crio.api.v1.LinuxPodSandboxConfig;
import io.crio.api.v1.LinuxSandboxSecurityContext;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.NamespaceOption;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.PortMapping;
import io.crio.daemon.server.CriException;
import org.junit.jupiter.api.Test;

class SandboxConfigValidatorTest {

    static PodSandboxConfig.Builder valid() {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("web").setNamespace("default").setUid("u1"))
                .setHostname("web-0");
    }

    private static String rejected(PodSandboxConfig config) {
        CriException e = assertThrows(CriException.class, () -> SandboxConfigValidator.validate(config));
        assertEquals(CriException.Kind.INVALID_ARGUMENT, e.kind());
        return e.getMessage();
    }

    @Test
    void acceptsAPlainPod() {
        assertDoesNotThrow(() -> SandboxConfigValidator.validate(valid().build()));
    }

    @Test
    void metadataIsRequired() {
        assertTrue(rejected(PodSandboxConfig.getDefaultInstance()).contains("Metadata"));
        assertTrue(rejected(valid().setMetadata(PodSandboxMetadata.newBuilder().setName("a").setNamespace("b")).build())
                .contains("uid"));
        assertTrue(rejected(valid().setMetadata(PodSandboxMetadata.newBuilder().setName("a/b").setNamespace("b")
                .setUid("c")).build()).contains("name"));
    }

    @Test
    void hostnameMustBeAHostname() {
        rejected(valid().setHostname("bad host").build());
        rejected(valid().setHostname("a".repeat(65)).build());
        rejected(valid().setHostname("x\nkernel").build());
    }

    @Test
    void dnsEntriesCannotInjectLines() {
        rejected(valid().setDnsConfig(DNSConfig.newBuilder().addServers("8.8.8.8\nnameserver 1.1.1.1")).build());
        rejected(valid().setDnsConfig(DNSConfig.newBuilder().addServers("dns.example.com")).build());
        rejected(valid().setDnsConfig(DNSConfig.newBuilder().addSearches("a b")).build());
        rejected(valid().setDnsConfig(DNSConfig.newBuilder().addOptions("ndots:5\nsearch evil")).build());
        assertDoesNotThrow(() -> SandboxConfigValidator.validate(valid().setDnsConfig(DNSConfig.newBuilder()
                .addServers("10.96.0.10").addServers("fd00::10").addSearches("svc.cluster.local")
                .addOptions("ndots:5")).build()));
    }

    @Test
    void portMappingsAreChecked() {
        rejected(valid().addPortMappings(PortMapping.newBuilder().setContainerPort(0)).build());
        rejected(valid().addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(70000)).build());
        rejected(valid().addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(80).setHostIp("x")).build());
        rejected(valid().addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(8080))
                .addPortMappings(PortMapping.newBuilder().setContainerPort(81).setHostPort(8080)).build());
    }

    @Test
    void unsupportedNamespaceModesAreRejected() {
        rejected(valid().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                        NamespaceOption.newBuilder().setNetwork(NamespaceMode.CONTAINER)))).build());
        rejected(valid().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                        NamespaceOption.newBuilder().setPid(NamespaceMode.TARGET)))).build());
    }
}
