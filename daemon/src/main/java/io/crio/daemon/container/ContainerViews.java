package io.crio.daemon.container;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crio.api.v1.Container;
import io.crio.api.v1.ContainerConfig;
import io.crio.api.v1.ContainerFilter;
import io.crio.api.v1.ContainerResources;
import io.crio.api.v1.ContainerState;
import io.crio.api.v1.ContainerStatus;
import io.crio.api.v1.ImageSpec;
import io.crio.api.v1.LinuxContainerResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The CRI views of containers: ContainerStatus (with verbose info) and ListContainers with filters. */
public final class ContainerViews {

    private ContainerViews() {}

    static ContainerConfig config(io.crio.daemon.container.ContainerState s) {
        try {
            return ContainerConfig.parseFrom(s.config());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("container " + s.id() + " has an unreadable config", e);
        }
    }

    static ContainerState state(io.crio.daemon.container.ContainerState s) {
        return switch (s.status()) {
            case io.crio.daemon.container.ContainerState.CREATED -> ContainerState.CONTAINER_CREATED;
            case io.crio.daemon.container.ContainerState.RUNNING -> ContainerState.CONTAINER_RUNNING;
            case io.crio.daemon.container.ContainerState.EXITED -> ContainerState.CONTAINER_EXITED;
            default -> ContainerState.CONTAINER_UNKNOWN;
        };
    }

    public static ContainerStatus status(io.crio.daemon.container.ContainerState s) {
        ContainerConfig c = config(s);
        ContainerStatus.Builder b = ContainerStatus.newBuilder()
                .setId(s.id())
                .setMetadata(c.getMetadata())
                .setState(state(s))
                .setCreatedAt(s.createdAt())
                .setStartedAt(s.startedAt())
                .setFinishedAt(s.finishedAt())
                .setExitCode(s.exitCode())
                .setImage(ImageSpec.newBuilder().setImage(s.imageName()))
                .setImageRef(s.imageRef())
                .setImageId(s.imageId())
                .setReason(s.reason())
                .setMessage(s.message())
                .putAllLabels(c.getLabelsMap())
                .putAllAnnotations(c.getAnnotationsMap())
                .addAllMounts(c.getMountsList())
                .setLogPath(s.logPath())
                .setStopSignal(c.getStopSignal());
        try {
            b.setResources(ContainerResources.newBuilder().setLinux(LinuxContainerResources.parseFrom(s.resources())));
        } catch (InvalidProtocolBufferException e) {
            // resources are optional in the status
        }
        return b.build();
    }

    /** The verbose {@code info}: pid, sandbox ID and the runtime spec, as CRI-O gives them. */
    public static String info(io.crio.daemon.container.ContainerState s) {
        ObjectNode n = ContainerStore.JSON.createObjectNode();
        n.put("sandboxID", s.sandboxId());
        n.put("pid", io.crio.daemon.container.ContainerState.RUNNING.equals(s.status()) ? s.pid() : 0);
        try {
            n.set("runtimeSpec", ContainerStore.JSON.readTree(Files.readAllBytes(Path.of(s.bundle(), "config.json"))));
        } catch (IOException e) {
            n.putObject("runtimeSpec");
        }
        return n.toString();
    }

    static Container item(io.crio.daemon.container.ContainerState s) {
        ContainerConfig c = config(s);
        return Container.newBuilder()
                .setId(s.id())
                .setPodSandboxId(s.sandboxId())
                .setMetadata(c.getMetadata())
                .setImage(ImageSpec.newBuilder().setImage(s.imageName()))
                .setImageRef(s.imageRef())
                .setImageId(s.imageId())
                .setState(state(s))
                .setCreatedAt(s.createdAt())
                .putAllLabels(c.getLabelsMap())
                .putAllAnnotations(c.getAnnotationsMap())
                .build();
    }

    public static List<Container> list(ContainerManager manager, ContainerFilter filter) {
        List<io.crio.daemon.container.ContainerState> states = new ArrayList<>();
        for (ContainerStore.Entry e : manager.store().all()) {
            states.add(manager.refresh(e));
        }
        if (!filter.getId().isEmpty()) {
            List<io.crio.daemon.container.ContainerState> byPrefix = states.stream()
                    .filter(s -> s.id().startsWith(filter.getId())).toList();
            states = byPrefix.size() == 1 ? byPrefix : List.of();
        }
        List<Container> out = new ArrayList<>();
        states.stream().sorted(Comparator.comparingLong(io.crio.daemon.container.ContainerState::createdAt)).forEach(s -> {
            if (!filter.getPodSandboxId().isEmpty() && !s.sandboxId().startsWith(filter.getPodSandboxId())) {
                return;
            }
            if (filter.hasState() && filter.getState().getState() != state(s)) {
                return;
            }
            Map<String, String> labels = config(s).getLabelsMap();
            for (Map.Entry<String, String> sel : filter.getLabelSelectorMap().entrySet()) {
                if (!sel.getValue().equals(labels.get(sel.getKey()))) {
                    return;
                }
            }
            out.add(item(s));
        });
        return out;
    }
}
