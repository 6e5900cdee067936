package io.crio.daemon.cri;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crio.api.v1.CgroupDriver;
import io.crio.api.v1.LinuxRuntimeConfiguration;
import io.crio.api.v1.ListPodSandboxRequest;
import io.crio.api.v1.ListPodSandboxResponse;
import io.crio.api.v1.PodSandboxStatusRequest;
import io.crio.api.v1.PodSandboxStatusResponse;
import io.crio.api.v1.RemovePodSandboxRequest;
import io.crio.api.v1.RemovePodSandboxResponse;
import io.crio.api.v1.RunPodSandboxRequest;
import io.crio.api.v1.RunPodSandboxResponse;
import io.crio.api.v1.StopPodSandboxRequest;
import io.crio.api.v1.StopPodSandboxResponse;
import io.crio.api.v1.RuntimeCondition;
import io.crio.api.v1.RuntimeConfigRequest;
import io.crio.api.v1.RuntimeConfigResponse;
import io.crio.api.v1.RuntimeFeatures;
import io.crio.api.v1.RuntimeHandlerFeatures;
import io.crio.api.v1.RuntimeServiceGrpc;
import io.crio.api.v1.RuntimeStatus;
import io.crio.api.v1.StatusRequest;
import io.crio.api.v1.StatusResponse;
import io.crio.api.v1.UpdateRuntimeConfigRequest;
import io.crio.api.v1.UpdateRuntimeConfigResponse;
import io.crio.api.v1.VersionRequest;
import io.crio.api.v1.VersionResponse;
import io.crio.daemon.BuildInfo;
import io.crio.daemon.config.ConfigHolder;
import io.crio.daemon.config.ConfigMapper;
import io.crio.daemon.config.CrioConfig;
import io.crio.daemon.config.RuntimeHandler;
import io.crio.daemon.health.Condition;
import io.crio.daemon.health.NetworkHealth;
import io.crio.daemon.health.RuntimeHealth;
import io.crio.daemon.sandbox.SandboxBackend;
import io.crio.daemon.server.CriException;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRI RuntimeService: runtime-level calls here, the pod sandbox calls through {@link PodSandboxCalls} and
 * the container calls through {@link ContainerCalls}; calls not overridden answer UNIMPLEMENTED (the generated
 * base class).
 */
public final class RuntimeService extends RuntimeServiceGrpc.RuntimeServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(RuntimeService.class);

    /** The CRI API version kubelet negotiates. */
    static final String KUBELET_API_VERSION = "0.1.0";
    static final String RUNTIME_NAME = "cri-o";
    static final String RUNTIME_API_VERSION = "v1";

    private final ConfigHolder config;
    private final RuntimeHealth runtimeHealth;
    private final NetworkHealth networkHealth;
    private final PodNetworkSettings podNetwork;

    private final PodSandboxCalls sandboxes;
    private final ContainerCalls containers;

    public RuntimeService(ConfigHolder config, RuntimeHealth runtimeHealth, NetworkHealth networkHealth,
                          PodNetworkSettings podNetwork, SandboxBackend sandboxBackend,
                          io.crio.daemon.container.ContainerBackend containerBackend) {
        this.config = config;
        this.runtimeHealth = runtimeHealth;
        this.networkHealth = networkHealth;
        this.podNetwork = podNetwork;
        this.sandboxes = new PodSandboxCalls(sandboxBackend);
        this.containers = new ContainerCalls(containerBackend);
    }

    @Override
    public void createContainer(io.crio.api.v1.CreateContainerRequest request,
                                StreamObserver<io.crio.api.v1.CreateContainerResponse> observer) {
        Unary.reply(observer, containers.create(request));
    }

    @Override
    public void startContainer(io.crio.api.v1.StartContainerRequest request,
                               StreamObserver<io.crio.api.v1.StartContainerResponse> observer) {
        containers.start(request);
        Unary.reply(observer, io.crio.api.v1.StartContainerResponse.getDefaultInstance());
    }

    @Override
    public void stopContainer(io.crio.api.v1.StopContainerRequest request,
                              StreamObserver<io.crio.api.v1.StopContainerResponse> observer) {
        containers.stop(request);
        Unary.reply(observer, io.crio.api.v1.StopContainerResponse.getDefaultInstance());
    }

    @Override
    public void removeContainer(io.crio.api.v1.RemoveContainerRequest request,
                                StreamObserver<io.crio.api.v1.RemoveContainerResponse> observer) {
        containers.remove(request);
        Unary.reply(observer, io.crio.api.v1.RemoveContainerResponse.getDefaultInstance());
    }

    @Override
    public void containerStatus(io.crio.api.v1.ContainerStatusRequest request,
                                StreamObserver<io.crio.api.v1.ContainerStatusResponse> observer) {
        Unary.reply(observer, containers.status(request));
    }

    @Override
    public void listContainers(io.crio.api.v1.ListContainersRequest request,
                               StreamObserver<io.crio.api.v1.ListContainersResponse> observer) {
        Unary.reply(observer, containers.list(request));
    }

    @Override
    public void execSync(io.crio.api.v1.ExecSyncRequest request,
                         StreamObserver<io.crio.api.v1.ExecSyncResponse> observer) {
        Unary.reply(observer, containers.execSync(request));
    }

    @Override
    public void reopenContainerLog(io.crio.api.v1.ReopenContainerLogRequest request,
                                   StreamObserver<io.crio.api.v1.ReopenContainerLogResponse> observer) {
        containers.reopenLog(request);
        Unary.reply(observer, io.crio.api.v1.ReopenContainerLogResponse.getDefaultInstance());
    }

    @Override
    public void updateContainerResources(io.crio.api.v1.UpdateContainerResourcesRequest request,
                                         StreamObserver<io.crio.api.v1.UpdateContainerResourcesResponse> observer) {
        containers.update(request);
        Unary.reply(observer, io.crio.api.v1.UpdateContainerResourcesResponse.getDefaultInstance());
    }

    @Override
    public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> observer) {
        Unary.reply(observer, sandboxes.run(request));
    }

    @Override
    public void stopPodSandbox(StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> observer) {
        sandboxes.stop(request);
        Unary.reply(observer, StopPodSandboxResponse.getDefaultInstance());
    }

    @Override
    public void removePodSandbox(RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> observer) {
        sandboxes.remove(request);
        Unary.reply(observer, RemovePodSandboxResponse.getDefaultInstance());
    }

    @Override
    public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> observer) {
        Unary.reply(observer, sandboxes.status(request));
    }

    @Override
    public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> observer) {
        Unary.reply(observer, sandboxes.list(request));
    }

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> observer) {
        Unary.reply(observer, VersionResponse.newBuilder()
                .setVersion(KUBELET_API_VERSION)
                .setRuntimeName(RUNTIME_NAME)
                .setRuntimeVersion(BuildInfo.current().version())
                .setRuntimeApiVersion(RUNTIME_API_VERSION)
                .build());
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
        CrioConfig cfg = config.get();
        String defaultRuntime = cfg.crio().runtime().defaultRuntime();
        Map<String, RuntimeHandler> handlers = new java.util.TreeMap<>(cfg.crio().runtime().runtimes());
        handlers.keySet().removeAll(cfg.crio().runtime().unusableRuntimes().keySet());
        Condition runtime = runtimeHealth.check(defaultRuntime, handlers.get(defaultRuntime));
        Condition network = networkHealth.check();
        StatusResponse.Builder response = StatusResponse.newBuilder()
                .setStatus(RuntimeStatus.newBuilder()
                        .addConditions(toProto(runtime))
                        .addConditions(toProto(network)))
                .setFeatures(RuntimeFeatures.newBuilder().setSupplementalGroupsPolicy(false));
        if (handlers.containsKey(defaultRuntime)) {
            // the default handler is listed under its name and, as CRI-O does, under the empty name
            response.addRuntimeHandlers(handler(defaultRuntime));
            response.addRuntimeHandlers(handler(""));
        }
        for (String name : handlers.keySet()) {
            if (!name.equals(defaultRuntime)) {
                response.addRuntimeHandlers(handler(name));
            }
        }
        if (request.getVerbose()) {
            try {
                ObjectNode info = ConfigMapper.TREES.valueToTree(cfg);
                info.put("sandboxImage", cfg.crio().image().pauseImage());
                response.putInfo("config", ConfigMapper.TREES.writeValueAsString(info));
            } catch (JsonProcessingException e) {
                throw new CriException(CriException.Kind.INTERNAL, "cannot render configuration: " + e.getMessage());
            }
        }
        Unary.reply(observer, response.build());
    }

    private static io.crio.api.v1.RuntimeHandler handler(String name) {
        return io.crio.api.v1.RuntimeHandler.newBuilder()
                .setName(name)
                .setFeatures(RuntimeHandlerFeatures.newBuilder()
                        .setRecursiveReadOnlyMounts(false)
                        .setUserNamespaces(false))
                .build();
    }

    private static RuntimeCondition toProto(Condition c) {
        return RuntimeCondition.newBuilder()
                .setType(c.type())
                .setStatus(c.status())
                .setReason(c.reason())
                .setMessage(c.message())
                .build();
    }

    @Override
    public void runtimeConfig(RuntimeConfigRequest request, StreamObserver<RuntimeConfigResponse> observer) {
        String manager = config.get().crio().runtime().cgroupManager();
        CgroupDriver driver = "systemd".equals(manager) ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS;
        Unary.reply(observer, RuntimeConfigResponse.newBuilder()
                .setLinux(LinuxRuntimeConfiguration.newBuilder().setCgroupDriver(driver))
                .build());
    }

    @Override
    public void updateRuntimeConfig(UpdateRuntimeConfigRequest request,
                                    StreamObserver<UpdateRuntimeConfigResponse> observer) {
        String cidr = request.getRuntimeConfig().getNetworkConfig().getPodCidr();
        if (!cidr.isEmpty()) {
            String problem = Cidrs.problem(cidr);
            if (problem != null) {
                throw CriException.invalidArgument("invalid pod CIDR: " + problem);
            }
            String previous = podNetwork.update(cidr);
            if (!cidr.equals(previous)) {
                log.info("Pod CIDR is now {}", cidr);
            }
        }
        Unary.reply(observer, UpdateRuntimeConfigResponse.getDefaultInstance());
    }
}
