package io.crio.daemon.container;

/**
 * A container as persisted ({@code <root>/crio/containers/<id>.json}, replaced atomically on change).
 * Whether it has exited is read from conmon's exit file, which conmon writes even while the daemon is down.
 *
 * @param config the ContainerConfig exactly as received (protobuf bytes)
 * @param status {@code created}, {@code running} or {@code exited}
 * @param resources the current LinuxContainerResources (protobuf bytes; updated by UpdateContainerResources)
 */
public record ContainerState(
        int version,
        String id,
        String name,
        String sandboxId,
        byte[] config,
        String imageId,
        String imageName,
        String imageRef,
        String runtimeHandler,
        long createdAt,
        long startedAt,
        long finishedAt,
        int exitCode,
        String status,
        String reason,
        String message,
        String logPath,
        String bundle,
        int pid,
        String stopSignal,
        byte[] resources) {

    public static final int VERSION = 1;
    public static final String CREATED = "created";
    public static final String RUNNING = "running";
    public static final String EXITED = "exited";

    ContainerState started(long at) {
        return new ContainerState(version, id, name, sandboxId, config, imageId, imageName, imageRef, runtimeHandler,
                createdAt, at, finishedAt, exitCode, RUNNING, reason, message, logPath, bundle, pid, stopSignal, resources);
    }

    ContainerState exited(long at, int code, String why, String text) {
        return new ContainerState(version, id, name, sandboxId, config, imageId, imageName, imageRef, runtimeHandler,
                createdAt, startedAt, at, code, EXITED, why, text, logPath, bundle, pid, stopSignal, resources);
    }

    ContainerState withPid(int p) {
        return new ContainerState(version, id, name, sandboxId, config, imageId, imageName, imageRef, runtimeHandler,
                createdAt, startedAt, finishedAt, exitCode, status, reason, message, logPath, bundle, p, stopSignal, resources);
    }

    ContainerState withResources(byte[] r) {
        return new ContainerState(version, id, name, sandboxId, config, imageId, imageName, imageRef, runtimeHandler,
                createdAt, startedAt, finishedAt, exitCode, status, reason, message, logPath, bundle, pid, stopSignal, r);
    }
}
