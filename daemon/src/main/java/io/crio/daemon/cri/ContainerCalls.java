package io.crio.daemon.cri;

import io.crio.api.v1.ContainerStatusRequest;
import io.crio.api.v1.ContainerStatusResponse;
import io.crio.api.v1.CreateContainerRequest;
import io.crio.api.v1.CreateContainerResponse;
import io.crio.api.v1.ListContainersRequest;
import io.crio.api.v1.ListContainersResponse;
import io.crio.api.v1.RemoveContainerRequest;
import io.crio.api.v1.StartContainerRequest;
import io.crio.api.v1.StopContainerRequest;
import io.crio.api.v1.UpdateContainerResourcesRequest;
import io.crio.daemon.container.ContainerBackend;
import io.crio.daemon.container.ContainerState;
import io.crio.daemon.container.ContainerStore;
import io.crio.daemon.container.ContainerViews;
import io.crio.daemon.server.CriException;
import io.grpc.Context;

/** The container RPCs: thin translations between the CRI messages and the container lifecycle. */
final class ContainerCalls {

    private final ContainerBackend backend;

    ContainerCalls(ContainerBackend backend) {
        this.backend = backend;
    }

    CreateContainerResponse create(CreateContainerRequest request) {
        Context context = Context.current();
        String id = backend.get().create(request, created -> context.isCancelled());
        return CreateContainerResponse.newBuilder().setContainerId(id).build();
    }

    void start(StartContainerRequest request) {
        backend.get().start(request.getContainerId());
    }

    void stop(StopContainerRequest request) {
        if (request.getContainerId().isEmpty()) {
            throw CriException.invalidArgument("ContainerId should not be empty");
        }
        if (backend.get().store().find(request.getContainerId()).isEmpty()) {
            // as CRI-O: stopping a container that is already gone succeeds
            return;
        }
        backend.get().stop(request.getContainerId(), Math.max(0, request.getTimeout()));
    }

    void remove(RemoveContainerRequest request) {
        if (request.getContainerId().isEmpty()) {
            throw CriException.invalidArgument("ContainerId should not be empty");
        }
        backend.get().remove(request.getContainerId());
    }

    ContainerStatusResponse status(ContainerStatusRequest request) {
        ContainerStore.Entry e = backend.get().require(request.getContainerId());
        ContainerState s = backend.get().refresh(e);
        ContainerStatusResponse.Builder b = ContainerStatusResponse.newBuilder().setStatus(ContainerViews.status(s));
        if (request.getVerbose()) {
            b.putInfo("info", ContainerViews.info(s));
        }
        return b.build();
    }

    ListContainersResponse list(ListContainersRequest request) {
        return ListContainersResponse.newBuilder()
                .addAllContainers(ContainerViews.list(backend.get(), request.getFilter())).build();
    }

    io.crio.api.v1.ExecSyncResponse execSync(io.crio.api.v1.ExecSyncRequest request) {
        var r = backend.get().execSync(request.getContainerId(), request.getCmdList(), request.getTimeout());
        return io.crio.api.v1.ExecSyncResponse.newBuilder()
                .setStdout(com.google.protobuf.ByteString.copyFrom(r.stdout()))
                .setStderr(com.google.protobuf.ByteString.copyFrom(r.stderr()))
                .setExitCode(r.exitCode()).build();
    }

    void reopenLog(io.crio.api.v1.ReopenContainerLogRequest request) {
        backend.get().reopenLog(request.getContainerId());
    }

    void update(UpdateContainerResourcesRequest request) {
        backend.get().updateResources(request.getContainerId(), request.getLinux());
    }
}
