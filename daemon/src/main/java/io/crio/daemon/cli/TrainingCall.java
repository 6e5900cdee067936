package io.crio.daemon.cli;

import io.crio.api.v1.RuntimeServiceGrpc;
import io.crio.api.v1.VersionRequest;
import io.crio.api.v1.VersionResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Makes the first call every CRI client makes, {@code Version}, over a daemon's unix socket, as many times as
 * asked. The installer runs it against the daemon that trains the JVM's ahead-of-time cache, so that the
 * classes a call needs on the server (the HTTP/2 stream, the call, the interceptor, the messages) come from
 * the cache at every start instead of being loaded from the jars at the first call, and, with enough calls,
 * the cache records their methods as compiled: a started daemon compiles them on their first calls.
 * Usage: {@code java -cp crio-daemon.jar io.crio.daemon.cli.TrainingCall <socket> [calls]}; exit code 0 when
 * the daemon answered.
 */
public final class TrainingCall {

    private TrainingCall() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: TrainingCall <socket> [calls]");
            System.exit(2);
        }
        System.exit(call(args[0], args.length > 1 ? Integer.parseInt(args[1]) : 1));
    }

    /** Calls {@code Version} {@code calls} times on the daemon at {@code socket}; 0 when it answered, 1 when not. */
    static int call(String socket, int calls) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .build();
        try {
            VersionResponse v = null;
            for (int i = 0; i < calls; i++) {
                v = RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .version(VersionRequest.newBuilder().setVersion("v1").build());
            }
            System.out.println(v.getRuntimeName() + " " + v.getRuntimeVersion() + " (CRI " + v.getRuntimeApiVersion() + ")");
            return 0;
        } catch (StatusRuntimeException e) {
            System.err.println("Version on " + socket + " failed: " + e.getStatus());
            return 1;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
