package io.crio.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.crio.api.v1.RuntimeServiceGrpc;
import io.crio.api.v1.VersionRequest;
import io.crio.api.v1.VersionResponse;
import io.crio.daemon.threads.BlockingPool;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class HandlerHandOffTest {

    final CountDownLatch release = new CountDownLatch(1);
    final CompletableFuture<Boolean> sawCancellation = new CompletableFuture<>();

    /** Behaves according to the request's version field. */
    final class Scripted extends RuntimeServiceGrpc.RuntimeServiceImplBase {
        @Override
        public void version(VersionRequest request, StreamObserver<VersionResponse> observer) {
            switch (request.getVersion()) {
                case "block" -> await(release);
                case "until-cancelled" -> {
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (!Context.current().isCancelled() && System.nanoTime() < end) {
                        sleep();
                    }
                    sawCancellation.complete(Context.current().isCancelled());
                }
                default -> { }
            }
            observer.onNext(VersionResponse.newBuilder()
                    .setRuntimeName(Thread.currentThread().getName())
                    .setRuntimeVersion(String.valueOf(Context.current().getDeadline() != null))
                    .setRuntimeApiVersion(String.valueOf(MDC.get("id")))
                    .build());
            observer.onCompleted();
        }
    }

    ExecutorService pool = BlockingPool.create("cri-call");
    Server server;
    ManagedChannel channel;

    void serve(ExecutorService handlers) throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(new Scripted(), new CallInterceptor(10_000),
                        new HandlerHandOff(handlers)))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        release.countDown();
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
    }

    private static VersionRequest req(String behaviour) {
        return VersionRequest.newBuilder().setVersion(behaviour).build();
    }

    @Test
    void handlerRunsOnThePoolWithTheCallsContextAndRequestId() throws Exception {
        serve(pool);
        VersionResponse r = RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .version(req("ok"));
        assertTrue(r.getRuntimeName().startsWith("cri-call-"), r.getRuntimeName());
        assertEquals("true", r.getRuntimeVersion(), "the call's deadline is visible to the handler");
        assertTrue(r.getRuntimeApiVersion().matches("[0-9a-f]{12}"), r.getRuntimeApiVersion());
    }

    @Test
    void aBlockedHandlerDoesNotHoldUpOtherCalls() throws Exception {
        serve(pool);
        ListenableFuture<VersionResponse> blocked = RuntimeServiceGrpc.newFutureStub(channel).version(req("block"));
        VersionResponse other = RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .version(req("ok"));
        assertTrue(other.getRuntimeName().startsWith("cri-call-"));
        assertFalse(blocked.isDone());
        release.countDown();
        assertTrue(blocked.get(5, TimeUnit.SECONDS).getRuntimeName().startsWith("cri-call-"));
    }

    @Test
    void theClientsCancellationReachesTheHandler() throws Exception {
        serve(pool);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(200, TimeUnit.MILLISECONDS)
                        .version(req("until-cancelled")));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(sawCancellation.get(10, TimeUnit.SECONDS), "the handler saw its call cancelled");
    }

    @Test
    void aCallArrivingAfterThePoolClosedIsUnavailable() throws Exception {
        ExecutorService closed = BlockingPool.create("closed");
        closed.shutdown();
        serve(closed);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).version(req("ok")));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
