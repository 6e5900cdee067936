package io.crio.daemon.server;

import io.crio.daemon.threads.BlockingPool;
import io.grpc.HandlerRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server on the CRI unix socket: epoll domain sockets; gRPC's own callbacks run on the event loop
 * and each call's handler on pooled platform threads ({@link BlockingPool}: handlers block in native calls),
 * handed over by the {@link HandlerHandOff}; every service is wrapped by the {@link CallInterceptor}. The
 * socket file is created with mode 0660 and removed on shutdown.
 */
public final class CriServer {

    private static final Logger log = LoggerFactory.getLogger(CriServer.class);

    /** Where and how to serve. */
    public record Settings(Path socket, int maxRecvBytes, int maxSendBytes) {}

    private final Settings settings;
    private final List<ServerServiceDefinition> services;
    private Server server;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private ExecutorService executor;
    private boolean stopped;
    /** The socket file this server bound (its inode key), so that only that file is ever removed. */
    private Object boundSocketKey;

    public CriServer(Settings settings, List<ServerServiceDefinition> services) {
        this.settings = settings;
        this.services = List.copyOf(services);
    }

    public synchronized void start() throws IOException {
        SocketPreparer.prepare(settings.socket());
        boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        executor = BlockingPool.create("cri-call");
        CallInterceptor interceptor = new CallInterceptor(settings.maxSendBytes());
        HandlerHandOff handOff = new HandlerHandOff(executor);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(settings.socket().toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .directExecutor()
                .maxInboundMessageSize(settings.maxRecvBytes());
        // the hand-off is outermost: the interceptor's logging context and deferred work are those of the
        // thread that runs the handler
        for (ServerServiceDefinition s : services) {
            builder.addService(ServerInterceptors.intercept(s, interceptor, handOff));
        }
        builder.fallbackHandlerRegistry(intercepted(LeanServiceBinding.unimplemented(), interceptor, handOff));
        server = builder.build();
        try {
            server.start();
            boundSocketKey = Files.readAttributes(settings.socket(), java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
            Files.setPosixFilePermissions(settings.socket(), PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException | RuntimeException e) {
            stop(Duration.ZERO);
            throw e;
        }
    }

    /** A registry whose methods go through {@code handOff} and {@code interceptor} like the bound services' methods. */
    private static HandlerRegistry intercepted(HandlerRegistry registry, CallInterceptor interceptor,
                                               HandlerHandOff handOff) {
        return new HandlerRegistry() {
            @Override
            public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
                ServerMethodDefinition<?, ?> def = registry.lookupMethod(methodName, authority);
                if (def == null) {
                    return null;
                }
                String service = MethodDescriptor.extractFullServiceName(methodName);
                ServerServiceDefinition wrapped = ServerInterceptors.intercept(
                        ServerServiceDefinition.builder(service == null ? "" : service).addMethod(def).build(),
                        interceptor, handOff);
                return wrapped.getMethod(methodName);
            }
        };
    }

    /**
     * Stops accepting calls, lets calls in flight finish for up to {@code grace}, then cancels the rest and
     * removes the socket file. Safe to call more than once.
     */
    public synchronized void stop(Duration grace) {
        if (stopped) {
            return;
        }
        stopped = true;
        if (server != null) {
            server.shutdown();
            try {
                if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("Calls still running after {} ms; cancelling them", grace.toMillis());
                    server.shutdownNow();
                    server.awaitTermination(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        if (executor != null) {
            executor.shutdown();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        removeOwnSocket();
    }

    private void removeOwnSocket() {
        if (boundSocketKey == null) {
            return;
        }
        try {
            Object key = Files.readAttributes(settings.socket(), java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
            if (boundSocketKey.equals(key)) {
                Files.deleteIfExists(settings.socket());
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // already gone (the transport removes it on close)
        } catch (IOException e) {
            log.warn("Could not remove socket {}: {}", settings.socket(), e.getMessage());
        }
    }
}
