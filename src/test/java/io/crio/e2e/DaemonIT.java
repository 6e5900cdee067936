package io.crio.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crio.api.v1.CgroupDriver;
import io.crio.api.v1.NetworkConfig;
import io.crio.api.v1.AttachRequest;
import io.crio.api.v1.RuntimeCondition;
import io.crio.api.v1.RuntimeConfigRequest;
import io.crio.api.v1.StatusRequest;
import io.crio.api.v1.StatusResponse;
import io.crio.api.v1.UpdateRuntimeConfigRequest;
import io.crio.api.v1.VersionRequest;
import io.crio.api.v1.VersionResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon as kubelet and crictl see it: one real daemon process per class for the RPCs, extra ones for
 * start-up and shutdown behaviour.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DaemonIT {

    static final Duration START = Duration.ofSeconds(30);
    static final String BRIDGE_CONFLIST = """
            {"cniVersion": "1.0.0", "name": "crio-test", "plugins": [
              {"type": "bridge", "bridge": "crioe2e0", "isGateway": true, "ipMasq": false,
               "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.231.0.0/24"}]]}},
              {"type": "portmap", "capabilities": {"portMappings": true}}]}
            """;

    @TempDir
    static Path dir;
    Path netDir;
    CrioProcess crio;
    CriClient client;

    @BeforeAll
    void startDaemon() throws Exception {
        netDir = Files.createDirectories(dir.resolve("net.d"));
        Files.writeString(dir.resolve("crio.conf"), """
                [crio.runtime]
                cgroup_manager = "cgroupfs"
                """);
        crio = CrioProcess.start(dir, Map.of(), "--cni-config-dir", netDir.toString(),
                "--cni-plugin-dir", "/usr/lib/cni").awaitReady(START);
        client = new CriClient(crio.socket());
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (client != null) {
            client.close();
        }
        if (crio != null) {
            crio.close();
        }
    }

    private static RuntimeCondition condition(StatusResponse s, String type) {
        return s.getStatus().getConditionsList().stream().filter(c -> c.getType().equals(type)).findFirst()
                .orElseThrow(() -> new AssertionError("no condition " + type + " in " + s));
    }

    @Test
    void versionNamesTheRuntimeAndApi() {
        VersionResponse v = client.runtime().version(VersionRequest.newBuilder().setVersion("v1").build());
        assertEquals("0.1.0", v.getVersion());
        assertEquals("cri-o", v.getRuntimeName());
        assertEquals("v1", v.getRuntimeApiVersion());
        assertFalse(v.getRuntimeVersion().isEmpty());
        assertFalse(crio.log().contains("SO_KEEPALIVE"), "per-connection noise in the log:\n" + crio.log());
    }

    @Test
    void networkReadyFollowsTheCniDirectory() throws Exception {
        StatusResponse before = client.runtime().status(StatusRequest.getDefaultInstance());
        RuntimeCondition net = condition(before, "NetworkReady");
        assertFalse(net.getStatus());
        assertEquals("NetworkPluginNotReady", net.getReason());
        assertTrue(net.getMessage().contains(netDir.toString()), net.getMessage());

        Path conf = netDir.resolve("10-crio-test.conflist");
        Files.writeString(conf, BRIDGE_CONFLIST);
        try {
            RuntimeCondition ready = condition(client.runtime().status(StatusRequest.getDefaultInstance()), "NetworkReady");
            assertTrue(ready.getStatus(), ready.toString());
            assertEquals("", ready.getReason());
        } finally {
            Files.delete(conf);
        }
        assertFalse(condition(client.runtime().status(StatusRequest.getDefaultInstance()), "NetworkReady").getStatus());
    }

    @Test
    void runtimeReadyWithTheRealRuntime() {
        StatusResponse s = client.runtime().status(StatusRequest.getDefaultInstance());
        RuntimeCondition rt = condition(s, "RuntimeReady");
        assertTrue(rt.getStatus(), "runc must be installed (setup script): " + rt);
        assertEquals("runc", s.getRuntimeHandlers(0).getName());
        assertEquals("", s.getRuntimeHandlers(1).getName());
        assertTrue(s.getRuntimeHandlersList().stream().anyMatch(h -> h.getName().equals("crun")));
        assertTrue(s.getInfoMap().isEmpty());
    }

    @Test
    void verboseStatusCarriesTheEffectiveConfig() throws Exception {
        StatusResponse s = client.runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
        JsonNode config = new ObjectMapper().readTree(s.getInfoOrThrow("config"));
        assertEquals(crio.socket().toString(), config.path("crio").path("api").path("listen").asText());
        assertEquals("cgroupfs", config.path("crio").path("runtime").path("cgroup_manager").asText());
        assertFalse(config.path("sandboxImage").asText().isEmpty(), config.toString());
    }

    @Test
    void runtimeConfigReportsTheCgroupDriver() {
        assertEquals(CgroupDriver.CGROUPFS,
                client.runtime().runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux().getCgroupDriver());
    }

    @Test
    void updateRuntimeConfigAcceptsPodCidrAndRejectsGarbage() throws Exception {
        client.runtime().updateRuntimeConfig(cidr("10.244.0.0/24,fd00:10:244::/64"));
        assertTrue(crio.awaitLog("Pod CIDR is now 10.244.0.0/24,fd00:10:244::/64", Duration.ofSeconds(5)), crio.log());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client.runtime().updateRuntimeConfig(cidr("10.244.0.0/99")));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("prefix"), e.getStatus().getDescription());
    }

    private static UpdateRuntimeConfigRequest cidr(String cidr) {
        return UpdateRuntimeConfigRequest.newBuilder()
                .setRuntimeConfig(io.crio.api.v1.RuntimeConfig.newBuilder()
                        .setNetworkConfig(NetworkConfig.newBuilder().setPodCidr(cidr)))
                .build();
    }

    @Test
    void notYetImplementedCallsAnswerUnimplemented() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client.runtime().attach(AttachRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("Attach"), e.getStatus().getDescription());
    }

    @Test
    void failedCallsAreLoggedOnceWithRequestIdAndMethod() throws Exception {
        assertThrows(StatusRuntimeException.class, () -> client.runtime().updateRuntimeConfig(cidr("not-a-cidr")));
        String name = "name=/runtime.v1.RuntimeService/UpdateRuntimeConfig";
        assertTrue(crio.awaitLog(name, Duration.ofSeconds(5)), crio.log());
        List<String> lines = crio.log().lines().filter(l -> l.contains(name) && l.contains("not-a-cidr")).toList();
        assertEquals(1, lines.size(), crio.log());
        assertTrue(lines.get(0).contains("level=info msg=\"Failed with INVALID_ARGUMENT: "), lines.get(0));
        assertTrue(lines.get(0).matches(".* id=[0-9a-f]{12}( .*|$)"), lines.get(0));
    }

    @Test
    void malformedRequestsAreInvalidArgumentsAndOversizedInputIsNotEchoedWhole() {
        io.grpc.MethodDescriptor<byte[], byte[]> raw = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("runtime.v1.RuntimeService/Version")
                .setRequestMarshaller(CriClient.BYTES).setResponseMarshaller(CriClient.BYTES).build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls.blockingUnaryCall(
                client.channel(), raw, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS),
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        StatusRuntimeException big = assertThrows(StatusRuntimeException.class,
                () -> client.runtime().updateRuntimeConfig(cidr("1".repeat(1_000_000))));
        assertEquals(Status.Code.INVALID_ARGUMENT, big.getStatus().getCode());
        assertTrue(big.getStatus().getDescription().length() < 2000);
    }

    @Test
    void socketIsOwnerAndGroupReadWriteOnly() throws Exception {
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(crio.socket())));
    }

    @Test
    void secondDaemonOnTheSameSocketIsRefused() throws Exception {
        Path other = Files.createDirectories(dir.resolve("second"));
        try (CrioProcess second = CrioProcess.start(other, Map.of(), "--listen", crio.socket().toString())) {
            int code = second.awaitExit(START);
            assertNotEquals(0, code);
            assertTrue(second.log().contains("already listening"), second.log());
        }
        assertEquals("cri-o", client.runtime().version(VersionRequest.getDefaultInstance()).getRuntimeName());
        assertTrue(Files.exists(crio.socket()));
    }
}
