package io.crio.daemon.container;

import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.LinuxContainerConfig;
import io.crio.api.v1.LinuxContainerResources;
import io.crio.api.v1.PodSandboxConfig;
import java.util.List;
import java.util.Map;

/** A spec input holding only resources, for UpdateContainerResources (the rest of the spec stays as it is). */
final class ResourceInputs {

    private ResourceInputs() {}

    static ContainerSpecInput of(LinuxContainerResources resources) {
        ContainerConfig c = ContainerConfig.newBuilder().setLinux(LinuxContainerConfig.newBuilder().setResources(resources))
                .build();
        return new ContainerSpecInput("", "", c, new ContainerSpecInput.ImageDefaults(List.of(), List.of(), List.of(), "",
                "", List.of(), ""), new ContainerSpecInput.Pod("", "", PodSandboxConfig.getDefaultInstance(), "", Map.of(),
                0, "", "", "", ""), "", new ImageUser.Resolved(0, 0, List.of(), ""),
                new ContainerSpecInput.Settings(List.of(), List.of(), List.of(), List.of(), 0, "", 0, true),
                "", 0, "", "", List.of(), null);
    }
}
