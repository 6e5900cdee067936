package io.crio.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.api.v1.RuntimeServiceGrpc;
import io.crio.api.v1.VersionRequest;
import io.crio.api.v1.VersionResponse;
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
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class CallInterceptorTest {

    /** Behaves according to the request's version field. */
    static final class Scripted extends RuntimeServiceGrpc.RuntimeServiceImplBase {
        @Override
        public void version(VersionRequest request, StreamObserver<VersionResponse> observer) {
            switch (request.getVersion()) {
                case "notfound" -> throw CriException.notFound("sandbox xyz not found");
                case "boom" -> throw new IllegalStateException("unexpected state");
                case "big" -> observer.onNext(VersionResponse.newBuilder().setRuntimeVersion("x".repeat(2000)).build());
                case "deferred" -> {
                    AfterReply.run(CallInterceptorTest::afterReply);
                    observer.onNext(VersionResponse.newBuilder().setRuntimeName(MDC.get("id")).build());
                }
                default -> observer.onNext(VersionResponse.newBuilder()
                        .setRuntimeName(MDC.get("id") + "|" + MDC.get("name")).build());
            }
            observer.onCompleted();
        }
    }

    /** Released by the test once it has the reply; the deferred work of a "deferred" call waits for it. */
    static final CountDownLatch REPLY_SEEN = new CountDownLatch(1);
    /** The request id the deferred work saw, or what went wrong. */
    static final CompletableFuture<String> DEFERRED_RAN = new CompletableFuture<>();

    static void afterReply() {
        try {
            if (!REPLY_SEEN.await(10, TimeUnit.SECONDS)) {
                DEFERRED_RAN.completeExceptionally(new AssertionError("ran before the client had the reply"));
                return;
            }
            DEFERRED_RAN.complete(MDC.get("id"));
        } catch (InterruptedException e) {
            DEFERRED_RAN.completeExceptionally(e);
        }
    }

    Server server;
    ManagedChannel channel;
    RuntimeServiceGrpc.RuntimeServiceBlockingStub stub;

    @BeforeEach
    void setUp() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(new Scripted(), new CallInterceptor(1000)))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        stub = RuntimeServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void tearDown() throws Exception {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private StatusRuntimeException call(String behaviour) {
        return assertThrows(StatusRuntimeException.class,
                () -> stub.version(VersionRequest.newBuilder().setVersion(behaviour).build()));
    }

    @Test
    void domainErrorBecomesItsStatusWithTheMessage() {
        StatusRuntimeException e = call("notfound");
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("sandbox xyz not found", e.getStatus().getDescription());
    }

    @Test
    void unexpectedErrorIsInternalWithADescription() {
        StatusRuntimeException e = call("boom");
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        assertEquals("unexpected state", e.getStatus().getDescription());
    }

    @Test
    void oversizedResponseIsRefused() {
        StatusRuntimeException e = call("big");
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("grpc_max_send_msg_size"));
    }

    @Test
    void requestIdAndMethodAreInTheLoggingContextDuringTheCall() {
        String[] parts = stub.version(VersionRequest.newBuilder().setVersion("ok").build()).getRuntimeName().split("\\|");
        assertTrue(parts[0].matches("[0-9a-f]{12}"), parts[0]);
        assertEquals("/runtime.v1.RuntimeService/Version", parts[1]);
        String other = stub.version(VersionRequest.newBuilder().setVersion("ok").build()).getRuntimeName();
        assertTrue(!other.startsWith(parts[0] + "|"), "each call gets its own id");
        assertEquals(null, MDC.get("id"), "context is cleared after the call");
    }

    @Test
    void deferredWorkRunsAfterTheReplyWithTheCallsRequestId() throws Exception {
        // handlers on their own threads, as in the daemon: the reply must reach the client while the work the
        // handler deferred is still waiting for the test to have seen that reply
        String name = InProcessServerBuilder.generateName();
        ExecutorService calls = Executors.newCachedThreadPool();
        Server threaded = InProcessServerBuilder.forName(name).executor(calls)
                .addService(ServerInterceptors.intercept(new Scripted(), new CallInterceptor(1000)))
                .build().start();
        ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
        try {
            String id = RuntimeServiceGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .version(VersionRequest.newBuilder().setVersion("deferred").build()).getRuntimeName();
            REPLY_SEEN.countDown();
            assertEquals(id, DEFERRED_RAN.get(10, TimeUnit.SECONDS), "deferred work logs under the call's request id");
        } finally {
            ch.shutdownNow();
            threaded.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            calls.shutdownNow();
        }
    }

    @Test
    void outsideACallDeferredWorkRunsAtOnce() {
        boolean[] ran = {false};
        AfterReply.run(() -> ran[0] = true);
        assertTrue(ran[0]);
    }
}
