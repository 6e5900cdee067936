package io.crio.daemon.cri;

import io.crio.api.v1.ListPodSandboxRequest;
import io.crio.api.v1.ListPodSandboxResponse;
import io.crio.api.v1.PodSandboxStatusRequest;
import io.crio.api.v1.PodSandboxStatusResponse;
import io.crio.api.v1.RemovePodSandboxRequest;
import io.crio.api.v1.RunPodSandboxRequest;
import io.crio.api.v1.RunPodSandboxResponse;
import io.crio.api.v1.StopPodSandboxRequest;
import io.crio.daemon.sandbox.Sandbox;
import io.crio.daemon.sandbox.SandboxBackend;
import io.crio.daemon.sandbox.SandboxRunner;
import io.crio.daemon.sandbox.SandboxViews;
import io.crio.daemon.server.CriException;
import io.grpc.Context;
import io.grpc.Deadline;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The pod sandbox RPCs: thin translations between the CRI messages and the sandbox lifecycle. */
final class PodSandboxCalls {

    private static final Logger log = LoggerFactory.getLogger(PodSandboxCalls.class);

    private final SandboxBackend backend;

    PodSandboxCalls(SandboxBackend backend) {
        this.backend = backend;
    }

    RunPodSandboxResponse run(RunPodSandboxRequest request) {
        Context context = Context.current();
        SandboxRunner.Caller caller = new SandboxRunner.Caller() {
            @Override
            public Duration remaining() {
                Deadline d = context.getDeadline();
                return d == null ? Duration.ofMinutes(4) : Duration.ofMillis(Math.max(0, d.timeRemaining(TimeUnit.MILLISECONDS)));
            }

            @Override
            public boolean gone() {
                return context.isCancelled();
            }
        };
        String id = backend.get().runner().run(request, caller);
        return RunPodSandboxResponse.newBuilder().setPodSandboxId(id).build();
    }

    void stop(StopPodSandboxRequest request) {
        Optional<Sandbox> sb = find(request.getPodSandboxId());
        if (sb.isEmpty()) {
            // kubelet and the conformance suite rely on stopping an unknown pod succeeding
            log.info("Stop of unknown pod sandbox {}: nothing to do", request.getPodSandboxId());
            return;
        }
        backend.get().teardown().stop(sb.get());
    }

    void remove(RemovePodSandboxRequest request) {
        Optional<Sandbox> sb = find(request.getPodSandboxId());
        if (sb.isEmpty()) {
            log.info("Removal of unknown pod sandbox {}: nothing to do", request.getPodSandboxId());
            return;
        }
        backend.get().teardown().remove(sb.get());
    }

    PodSandboxStatusResponse status(PodSandboxStatusRequest request) {
        Sandbox sb = find(request.getPodSandboxId()).orElseThrow(() -> CriException.notFound(
                "could not find pod \"" + request.getPodSandboxId() + "\""));
        PodSandboxStatusResponse.Builder response = PodSandboxStatusResponse.newBuilder()
                .setStatus(SandboxViews.status(sb, backend.get().infra()::exited));
        if (request.getVerbose()) {
            var infra = backend.get().infra();
            response.putInfo("info", SandboxViews.info(sb, infra.pid(sb.record()), infra.pauseImage()));
        }
        return response.build();
    }

    ListPodSandboxResponse list(ListPodSandboxRequest request) {
        return ListPodSandboxResponse.newBuilder()
                .addAllItems(SandboxViews.list(backend.get().store(), request.getFilter(),
                        backend.get().infra()::exited))
                .build();
    }

    private Optional<Sandbox> find(String id) {
        if (id.isEmpty()) {
            throw CriException.invalidArgument("PodSandboxId should not be empty");
        }
        return backend.get().store().find(id);
    }
}
