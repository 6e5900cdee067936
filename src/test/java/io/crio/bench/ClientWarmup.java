package io.crio.bench;

import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.ContainerMetadata;
import io.crio.api.v1.CreateContainerRequest;
import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.PodSandboxConfig;
import io.crio.api.v1.PodSandboxMetadata;
import io.crio.api.v1.StartContainerRequest;
import io.crio.api.v1.VersionRequest;
import io.crio.e2e.CriClient;
import io.crio.e2e.CrioProcess;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Compiles the benchmark's own CRI client code before it measures anything. kubelet's client is compiled Go;
 * a cold Java client would add its interpreter's time to every round trip it reports. The client is warmed
 * against a separate daemon that is stopped afterwards, so the daemon under measurement starts cold.
 */
final class ClientWarmup {

    private static final int CALLS = Integer.getInteger("bench.clientWarmupCalls", 1500);

    private ClientWarmup() {}

    static void run(Path dir) throws Exception {
        if (CALLS <= 0) {
            return;
        }
        long t0 = System.nanoTime();
        try (CrioProcess crio = CrioProcess.start(dir, Map.of()).awaitReady(Duration.ofSeconds(60));
             CriClient client = new CriClient(crio.socket())) {
            CreateContainerRequest create = CreateContainerRequest.newBuilder().setPodSandboxId("0".repeat(64))
                    .setSandboxConfig(PodSandboxConfig.newBuilder().setMetadata(
                            PodSandboxMetadata.newBuilder().setName("warm").setNamespace("warm").setUid("warm")))
                    .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("warm"))
                            .setImage(ImageSpec.newBuilder().setImage("warm"))
                            .addAllCommand(List.of("/bin/sh", "-c", "sleep 600")).setLogPath("warm.log"))
                    .build();
            StartContainerRequest start = StartContainerRequest.newBuilder().setContainerId("0".repeat(64)).build();
            for (int i = 0; i < CALLS; i++) {
                client.runtime().version(VersionRequest.getDefaultInstance());
                expectFailure(() -> client.runtime().createContainer(create));
                expectFailure(() -> client.runtime().startContainer(start));
            }
        }
        io.crio.daemon.sandbox.SandboxFiles.deleteTree(dir);
        System.out.printf("client warmed with %d x 3 calls against a separate daemon in %.1f s%n", CALLS,
                (System.nanoTime() - t0) / 1e9);
    }

    private static void expectFailure(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException expected) {
            // NOT_FOUND: only the client's request and status paths are being compiled
        }
    }
}
