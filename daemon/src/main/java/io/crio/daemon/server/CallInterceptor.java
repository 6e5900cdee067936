package io.crio.daemon.server;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.TextFormat;
import io.crio.daemon.logging.Millis;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Wraps every CRI call: gives it a request id, puts id and method into the logging context of every
 * callback, logs its start and its outcome once, maps exceptions thrown by the service to a gRPC status
 * (through {@link StatusMapper}), enforces the configured maximum response size and runs the work a call
 * deferred until it had replied ({@link AfterReply}).
 */
public final class CallInterceptor implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(CallInterceptor.class);
    private static final int MAX_LOGGED_BODY = 4096;

    private final int maxSendBytes;

    public CallInterceptor(int maxSendBytes) {
        this.maxSendBytes = maxSendBytes;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        RequestContext ctx = new RequestContext(newId(), "/" + call.getMethodDescriptor().getFullMethodName(), System.nanoTime());
        ObservedCall<Q, R> observed = new ObservedCall<>(call, ctx, maxSendBytes);
        ServerCall.Listener<Q> delegate;
        ctx.enter();
        try {
            delegate = next.startCall(observed, headers);
        } catch (RuntimeException e) {
            observed.close(StatusMapper.toStatus(e), new Metadata());
            return new ServerCall.Listener<>() {};
        } finally {
            ctx.exit();
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(Q message) {
                ctx.enter();
                try {
                    if (log.isDebugEnabled() && !(message instanceof byte[])) {
                        log.debug("Request: {}", body(message));
                    }
                    super.onMessage(message);
                } finally {
                    ctx.exit();
                }
            }

            @Override
            public void onHalfClose() {
                ctx.enter();
                // a unary handler replies from here; what it deferred until after the reply runs next
                List<Runnable> outer = AfterReply.open();
                try {
                    super.onHalfClose();
                } catch (RuntimeException e) {
                    observed.close(StatusMapper.toStatus(e), new Metadata());
                } finally {
                    AfterReply.close(outer);
                    ctx.exit();
                }
            }

            @Override
            public void onCancel() {
                ctx.enter();
                try {
                    observed.logCancel();
                    super.onCancel();
                } finally {
                    ctx.exit();
                }
            }

            @Override
            public void onComplete() {
                ctx.enter();
                try {
                    super.onComplete();
                } finally {
                    ctx.exit();
                }
            }

            @Override
            public void onReady() {
                ctx.enter();
                try {
                    super.onReady();
                } finally {
                    ctx.exit();
                }
            }
        };
    }

    private static String newId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE).substring(0, 12);
    }

    public static String body(Object message) {
        if (message instanceof byte[] raw) {
            return raw.length + " bytes";
        }
        String s = message instanceof MessageOrBuilder m ? TextFormat.shortDebugString(m) : String.valueOf(message);
        return s.length() > MAX_LOGGED_BODY ? s.substring(0, MAX_LOGGED_BODY) + "…(" + s.length() + " chars)" : s;
    }

    /** Request id, method and start time; entering puts them into the logging context of the current thread. */
    record RequestContext(String id, String method, long startNanos) {
        void enter() {
            MDC.put("id", id);
            MDC.put("name", method);
        }

        void exit() {
            MDC.remove("id");
            MDC.remove("name");
        }

        long nanos() {
            return System.nanoTime() - startNanos;
        }
    }

    /** The call as the service sees it: logs the outcome once and refuses oversized responses. */
    private static final class ObservedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private final RequestContext ctx;
        private final int maxSendBytes;
        private final AtomicBoolean closed = new AtomicBoolean();

        ObservedCall(ServerCall<Q, R> delegate, RequestContext ctx, int maxSendBytes) {
            super(delegate);
            this.ctx = ctx;
            this.maxSendBytes = maxSendBytes;
        }

        @Override
        public void sendMessage(R message) {
            if (message instanceof MessageOrBuilder m && m instanceof com.google.protobuf.MessageLite lite
                    && lite.getSerializedSize() > maxSendBytes) {
                throw new CriException(CriException.Kind.RESOURCE_EXHAUSTED, "response of "
                        + lite.getSerializedSize() + " bytes exceeds grpc_max_send_msg_size " + maxSendBytes);
            }
            if (log.isDebugEnabled()) {
                log.debug("Response: {}", body(message));
            }
            super.sendMessage(message);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            if (status.isOk()) {
                if (log.isDebugEnabled()) {
                    log.debug("Finished in {} ms", Millis.of(ctx.nanos()));
                }
            } else if (status.getCode() == Status.Code.INTERNAL || status.getCode() == Status.Code.UNKNOWN) {
                log.error("Failed with {}: {}", status.getCode(), status.getDescription(), status.getCause());
            } else if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                log.debug("Failed with {}: {}", status.getCode(), status.getDescription());
            } else {
                log.info("Failed with {}: {}", status.getCode(), status.getDescription());
            }
            super.close(status, trailers);
        }

        void logCancel() {
            if (!closed.get()) {
                log.info("Cancelled by the client after {} ms", Millis.of(ctx.nanos()));
            }
        }
    }
}
