package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.api.v1.LinuxPodSandboxConfig;
import io.crio.api.v1.LinuxSandboxSecurityContext;
import io.crio.api.v1.NamespaceMode;
import io.crio.api.v1.NamespaceOption;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.PodSandboxState;
import io.crio.api.v1.PodSandboxStatusRequest;
import io.crio.api.v1.PodSandboxStatusResponse;
import io.crio.api.v1.RemovePodSandboxRequest;
import io.crio.api.v1.RunPodSandboxRequest;
import io.crio.api.v1.StopPodSandboxRequest;
import io.crio.e2e.registry.FixtureImages;
import io.crio.e2e.registry.RegistryPusher;
import io.crio.e2e.registry.RegistryServer;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods whose containers share a PID namespace get an infra container: the pause image, pulled from a
 * registry on 127.0.0.1, run through conmon and runc inside the pod's pinned namespaces.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InfraSandboxIT {

    static final Duration START = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    RegistryServer registry;
    CrioProcess crio;
    CriClient client;
    String bridge;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryServer.start();
        FixtureImages.pause(RegistryPusher.of(registry), "e2e/pause", "1");
        bridge = "cri" + HexFormat.of().formatHex(new byte[] {(byte) ThreadLocalRandom.current().nextInt(),
                (byte) ThreadLocalRandom.current().nextInt(), (byte) ThreadLocalRandom.current().nextInt()});
        int subnet = 20 + ThreadLocalRandom.current().nextInt(200);
        Files.createDirectories(dir.resolve("net.d"));
        Files.writeString(dir.resolve("net.d/10-infra.conflist"), """
                {"cniVersion":"1.0.0","name":"infra-e2e","plugins":[
                 {"type":"bridge","bridge":"%s","isGateway":true,"ipMasq":false,
                  "ipam":{"type":"host-local","ranges":[[{"subnet":"10.%d.77.0/24"}]],"dataDir":"%s"}}]}
                """.formatted(bridge, subnet, dir.resolve("ipam")));
        Path broken = dir.resolve("broken-runtime");
        Files.writeString(broken, "#!/bin/sh\necho \"failpoint: the runtime refuses to create\" >&2\nexit 1\n");
        broken.toFile().setExecutable(true);
        Files.writeString(dir.resolve("crio.conf"), """
                [crio]
                log_dir = "%1$s/pod-logs"
                [crio.runtime]
                namespaces_dir = "%1$s/ns"
                container_exits_dir = "%1$s/exits"
                container_attach_socket_dir = "%1$s/attach"
                [crio.runtime.runtimes.runc]
                runtime_root = "%1$s/runc-root"
                [crio.runtime.runtimes.broken]
                runtime_path = "%2$s"
                runtime_root = "%1$s/broken-root"
                [crio.image]
                pause_image = "%3$s/e2e/pause:1"
                pause_command = "/pause"
                [crio.network]
                network_dir = "%1$s/net.d"
                """.formatted(dir, broken, registry.url()));
        crio = CrioProcess.start(dir, Map.of()).awaitReady(START);
        client = new CriClient(crio.socket());
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            // whatever a failed test left running is torn down, so no namespace, mount or lease outlives the class
            client.removeAllPods();
            client.close();
        }
        if (crio != null) {
            crio.close();
        }
        if (registry != null) {
            registry.close();
        }
        new ProcessBuilder("ip", "link", "del", bridge).start().waitFor(10, TimeUnit.SECONDS);
    }

    static PodSandboxConfig pod(String name) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("e2e").setUid("uid-" + name))
                .setHostname(name)
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setPid(NamespaceMode.POD))))
                .build();
    }

    String run(PodSandboxConfig config, String handler) {
        return client.runtime().withDeadlineAfter(120, TimeUnit.SECONDS).runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
    }

    PodSandboxStatusResponse status(String id) {
        return client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id)
                .setVerbose(true).build());
    }

    void stopAndRemove(String id) {
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    static String nsLink(long pid, String kind) throws Exception {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + kind)).toString();
    }

    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (Exception e) {
            return false;
        }
    }

    String containersJson() throws Exception {
        return Files.readString(dir.resolve("root/overlay-containers/containers.json"));
    }

    List<String> mountsUnderDir() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(dir.toString())).toList();
    }

    @Test
    void theInfraProcessIsPidOneOfThePodAndLivesInItsNamespaces() throws Exception {
        String id = run(pod("infra-a"), "");
        PodSandboxStatusResponse st = status(id);
        assertEquals(PodSandboxState.SANDBOX_READY, st.getStatus().getState());
        JsonNode info = JSON.readTree(st.getInfoOrThrow("info"));
        long pid = info.path("pid").asLong();
        assertTrue(pid > 0, info.toString());
        assertTrue(info.path("image").asText().endsWith("e2e/pause:1"), info.toString());
        assertEquals("/pause", info.at("/runtimeSpec/process/args/0").asText());
        assertTrue(Files.readString(Path.of("/proc/" + pid + "/cmdline")).contains("/pause"));

        Path netns = dir.resolve("ns/netns").resolve(id);
        Path utsns = dir.resolve("ns/utsns").resolve(id);
        assertEquals("net:[" + Files.getAttribute(netns, "unix:ino") + "]", nsLink(pid, "net"));
        assertEquals("uts:[" + Files.getAttribute(utsns, "unix:ino") + "]", nsLink(pid, "uts"));
        assertNotEquals(nsLink(ProcessHandle.current().pid(), "pid"), nsLink(pid, "pid"));
        // PID 1 inside its own namespace
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        assertTrue(status.lines().anyMatch(l -> l.matches("NSpid:\\s+" + pid + "\\s+1")), status);
        assertTrue(containersJson().contains(id), "the infra container is a storage container");
        assertTrue(Files.exists(dir.resolve("runroot/overlay-containers").resolve(id).resolve("userdata/config.json")));

        stopAndRemove(id);
        for (int i = 0; i < 200 && running(pid); i++) {
            Thread.sleep(10);
        }
        assertFalse(running(pid), "the pause process is gone after StopPodSandbox");
        assertFalse(containersJson().contains(id));
        assertEquals(List.of(), mountsUnderDir());
        assertFalse(Files.exists(dir.resolve("exits").resolve(id)));
        assertFalse(Files.exists(dir.resolve("runroot/overlay-containers").resolve(id)));
    }

    @Test
    void aPodWhoseInfraProcessDiedIsNotReady() throws Exception {
        String id = run(pod("infra-b"), "runc");
        long pid = JSON.readTree(status(id).getInfoOrThrow("info")).path("pid").asLong();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        PodSandboxState state = PodSandboxState.SANDBOX_READY;
        for (int i = 0; i < 300 && state == PodSandboxState.SANDBOX_READY; i++) {
            Thread.sleep(10);
            state = status(id).getStatus().getState();
        }
        assertEquals(PodSandboxState.SANDBOX_NOTREADY, state);
        stopAndRemove(id);
        assertEquals(List.of(), mountsUnderDir());
    }

    @Test
    void aFailingRuntimeLeavesNothingBehind() throws Exception {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> run(pod("infra-c"), "broken"));
        assertTrue(e.getStatus().getDescription().contains("failpoint"), e.getStatus().toString());
        assertFalse(containersJson().contains("k8s_POD_infra-c"), containersJson());
        assertEquals(List.of(), mountsUnderDir());
        for (String kind : List.of("netns", "ipcns", "utsns")) {
            Path d = dir.resolve("ns").resolve(kind);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    assertEquals(List.of(), s.toList(), kind);
                }
            }
        }
        try (Stream<Path> s = Files.list(dir.resolve("ipam/infra-e2e"))) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("[0-9.]+")).toList(), "no IP lease");
        }
        // the name was released: the same pod runs with a working runtime
        String id = run(pod("infra-c"), "runc");
        stopAndRemove(id);
    }
}
