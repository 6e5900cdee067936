package io.crio.daemon.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.crio.api.v1.Capability;
import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.ContainerMetadata;
import io.crio.api.v1.KeyValue;
import io.crio.api.v1.LinuxContainerConfig;
import io.crio.api.v1.LinuxContainerResources;
import io.crio.api.v1.LinuxContainerSecurityContext;
import io.crio.api.v1.LinuxPodSandboxConfig;
import io.crio.api.v1.LinuxSandboxSecurityContext;
import io.crio.api.v1.Mount;
import io.crio.api.v1.MountPropagation;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.NamespaceOption;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.daemon.server.CriException;
import io.crio.oci.spec.Spec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerSpecBuilderTest {

    static final ContainerSpecInput.ImageDefaults IMAGE = new ContainerSpecInput.ImageDefaults(
            List.of("/entry"), List.of("image-cmd"), List.of("A=image", "B=image"), "/work", "", List.of(), "");
    static final List<String> BOUNDING = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_ADMIN");

    static ContainerSpecInput input(ContainerConfig.Builder c, PodSandboxConfig pod, Map<String, String> ns, int infraPid) {
        return new ContainerSpecInput("cid", "k8s_c", c.setMetadata(ContainerMetadata.newBuilder().setName("c")).build(), IMAGE,
                new ContainerSpecInput.Pod("pid", "k8s_POD", pod, "pod-host", ns, infraPid, "/run/shm", "/run/resolv",
                        "/run/hostname", "/kubepods"),
                "/rootfs", new ImageUser.Resolved(1000, 1000, List.of(10L), "app"),
                new ContainerSpecInput.Settings(List.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID",
                        "SETPCAP", "NET_BIND_SERVICE", "KILL"), BOUNDING, List.of("D=default"),
                        List.of("nofile=1024:2048"), 1024, "/kubepods/crio-cid", -999, false),
                "/logs/c.log", 1, "busybox", "busybox@sha256:x", List.of(), null, null);
    }

    static PodSandboxConfig pod(NamespaceMode pid) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("p").setNamespace("n").setUid("u"))
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setPid(pid))))
                .build();
    }

    static Spec build(ContainerConfig.Builder c) {
        return ContainerSpecBuilder.build(input(c, pod(NamespaceMode.CONTAINER),
                Map.of("net", "/ns/net", "ipc", "/ns/ipc", "uts", "/ns/uts"), 0));
    }

    @Test
    void commandAndArgsFollowKubernetesRules() {
        assertEquals(List.of("/entry", "image-cmd"), build(ContainerConfig.newBuilder()).process().args());
        assertEquals(List.of("/entry", "a1"), build(ContainerConfig.newBuilder().addArgs("a1")).process().args());
        assertEquals(List.of("/cmd"), build(ContainerConfig.newBuilder().addCommand("/cmd")).process().args());
        assertEquals(List.of("/cmd", "a1"), build(ContainerConfig.newBuilder().addCommand("/cmd").addArgs("a1")).process().args());
        ContainerSpecInput.ImageDefaults empty = new ContainerSpecInput.ImageDefaults(List.of(), List.of(), List.of(), "", "",
                List.of(), "");
        CriException e = assertThrows(CriException.class, () -> ContainerSpecBuilder.args(
                ContainerConfig.getDefaultInstance(), empty));
        assertEquals(CriException.Kind.INVALID_ARGUMENT, e.kind());
    }

    @Test
    void envLayersImageDefaultsAndTheRequest() {
        List<String> env = build(ContainerConfig.newBuilder().addEnvs(KeyValue.newBuilder().setKey("B")
                .setValue(ByteString.copyFromUtf8("cri")))).process().env();
        assertTrue(env.contains("A=image"));
        assertTrue(env.contains("B=cri"));
        assertTrue(env.contains("D=default"));
        assertTrue(env.contains("HOSTNAME=pod-host"));
        assertTrue(env.stream().anyMatch(e -> e.startsWith("PATH=")));
        assertEquals("/work", build(ContainerConfig.newBuilder()).process().cwd());
        assertEquals("/elsewhere", build(ContainerConfig.newBuilder().setWorkingDir("/elsewhere")).process().cwd());
    }

    @Test
    void userRlimitsAndResources() {
        Spec s = build(ContainerConfig.newBuilder().setLinux(LinuxContainerConfig.newBuilder().setResources(
                LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64 << 20).setCpuShares(512).setCpuQuota(50000)
                        .setCpuPeriod(100000).setOomScoreAdj(-1000).putUnified("memory.high", "1000000"))));
        assertEquals(1000, s.process().user().uid());
        assertEquals(List.of(10L), s.process().user().additionalGids());
        assertEquals(List.of(new Spec.Rlimit("RLIMIT_NOFILE", 2048, 1024)), s.process().rlimits());
        assertEquals(64L << 20, s.linux().resources().memory().limit());
        assertEquals(512L, s.linux().resources().cpu().shares());
        assertEquals(1024, s.linux().resources().pids().limit());
        assertEquals(Map.of("memory.high", "1000000"), s.linux().resources().unified());
        assertEquals(-999, s.process().oomScoreAdj(), "clamped to what the daemon may grant");
        assertEquals("/kubepods/crio-cid", s.linux().cgroupsPath());
    }

    @Test
    void capabilitiesAddDropAndAll() {
        List<String> defaults = build(ContainerConfig.newBuilder()).process().capabilities().bounding();
        assertEquals(9, defaults.size());
        List<String> dropped = build(secure(LinuxContainerSecurityContext.newBuilder().setCapabilities(
                Capability.newBuilder().addDropCapabilities("CHOWN").addAddCapabilities("NET_ADMIN"))))
                .process().capabilities().bounding();
        assertFalse(dropped.contains("CAP_CHOWN"));
        assertTrue(dropped.contains("CAP_NET_ADMIN"));
        assertEquals(List.of("CAP_KILL"), build(secure(LinuxContainerSecurityContext.newBuilder().setCapabilities(
                Capability.newBuilder().addDropCapabilities("ALL").addAddCapabilities("KILL")))).process().capabilities().bounding());
        assertEquals(BOUNDING, build(secure(LinuxContainerSecurityContext.newBuilder().setCapabilities(
                Capability.newBuilder().addAddCapabilities("ALL")))).process().capabilities().bounding());
        assertThrows(CriException.class, () -> build(secure(LinuxContainerSecurityContext.newBuilder().setCapabilities(
                Capability.newBuilder().addAddCapabilities("NOT_A_CAP")))));
    }

    @Test
    void privilegedGetsEverythingAndNoMasks() {
        Spec s = build(secure(LinuxContainerSecurityContext.newBuilder().setPrivileged(true)));
        assertEquals(BOUNDING, s.process().capabilities().bounding());
        assertTrue(s.linux().maskedPaths().isEmpty());
        assertTrue(s.linux().readonlyPaths().isEmpty());
        assertTrue(s.linux().resources().devices().get(0).allow());
        Spec.Mount sys = s.mounts().stream().filter(m -> m.destination().equals("/sys")).findFirst().orElseThrow();
        assertTrue(sys.options().contains("rw"));
        Spec plain = build(ContainerConfig.newBuilder());
        assertFalse(plain.linux().maskedPaths().isEmpty());
        assertFalse(plain.linux().resources().devices().get(0).allow());
    }

    @Test
    void readonlyRootNoNewPrivsAndMountsWithPropagation() {
        Spec s = build(ContainerConfig.newBuilder()
                .addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath("/srv/data").setReadonly(true))
                .addMounts(Mount.newBuilder().setContainerPath("/shared").setHostPath("/srv/shared")
                        .setPropagation(MountPropagation.PROPAGATION_BIDIRECTIONAL))
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setReadonlyRootfs(true).setNoNewPrivs(true))));
        assertTrue(s.root().readonly());
        assertTrue(s.process().noNewPrivileges());
        Spec.Mount data = s.mounts().stream().filter(m -> m.destination().equals("/data")).findFirst().orElseThrow();
        assertEquals(List.of("rbind", "ro", "rprivate"), data.options());
        Spec.Mount shared = s.mounts().stream().filter(m -> m.destination().equals("/shared")).findFirst().orElseThrow();
        assertTrue(shared.options().contains("rshared"));
        assertEquals("rshared", s.linux().rootfsPropagation());
        assertTrue(s.mounts().stream().anyMatch(m -> m.destination().equals("/dev/shm") && m.source().equals("/run/shm")));
        assertTrue(s.mounts().stream().anyMatch(m -> m.destination().equals("/etc/resolv.conf")));
    }

    @Test
    void namespacesFollowThePod() {
        Spec own = build(ContainerConfig.newBuilder());
        assertEquals(List.of("pid", "mount", "network", "ipc", "uts"), own.linux().namespaces().stream().map(Spec.Namespace::type).toList());
        assertNull(own.linux().namespaces().get(0).path());
        assertEquals("pod-host", own.hostname());
        Spec shared = ContainerSpecBuilder.build(input(ContainerConfig.newBuilder(), pod(NamespaceMode.POD),
                Map.of("ipc", "/ns/ipc"), 4242));
        assertEquals("/proc/4242/ns/pid", shared.linux().namespaces().get(0).path());
        assertFalse(shared.linux().namespaces().stream().anyMatch(n -> n.type().equals("network")), "host network");
        assertNull(shared.hostname(), "no hostname without a private UTS namespace");
        Spec host = ContainerSpecBuilder.build(input(ContainerConfig.newBuilder(), pod(NamespaceMode.NODE), Map.of(), 0));
        assertFalse(host.linux().namespaces().stream().anyMatch(n -> n.type().equals("pid")));
    }

    @Test
    void annotationsCarryWhatARestartNeeds() {
        Map<String, String> a = build(ContainerConfig.newBuilder().putAnnotations("mine", "x")).annotations();
        assertEquals("x", a.get("mine"));
        assertEquals("cid", a.get("io.kubernetes.cri-o.ContainerID"));
        assertEquals("pid", a.get("io.kubernetes.cri-o.SandboxID"));
        assertEquals("/logs/c.log", a.get("io.kubernetes.cri-o.LogPath"));
        assertEquals("c", a.get("io.kubernetes.container.name"));
    }

    private static ContainerConfig.Builder secure(LinuxContainerSecurityContext.Builder sec) {
        return ContainerConfig.newBuilder().setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(sec));
    }

    @Test
    void theAppArmorProfileGoesToTheProcess() {
        ContainerSpecInput in = input(ContainerConfig.newBuilder(), pod(NamespaceMode.CONTAINER),
                Map.of("net", "/ns/net", "ipc", "/ns/ipc", "uts", "/ns/uts"), 0);
        assertEquals(null, ContainerSpecBuilder.build(in).process().apparmorProfile());
        assertEquals("crio-default", ContainerSpecBuilder.build(in.withAppArmor("crio-default")).process().apparmorProfile());
    }
}
