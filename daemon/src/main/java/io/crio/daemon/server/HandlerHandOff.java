package io.crio.daemon.server;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each call's handler to the call pool while gRPC's own steps stay on the event loop that read the
 * call. The server runs its callbacks on the transport thread: there a call is started, its request asked
 * for, deframed and delivered without waking another thread. A unary handler runs at half-close, and it may
 * block on conmon and the runtime, so the half-close goes to the pool, and every later callback of the call
 * (cancel, complete) follows it there in order, with the call's gRPC context attached. A call thus wakes
 * one pool thread on its way in and the event loop once on its way out (the reply's write), where running
 * all of gRPC's callbacks on the pool takes two more hand-offs between the two threads per call.
 */
public final class HandlerHandOff implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(HandlerHandOff.class);

    private final Executor pool;

    public HandlerHandOff(Executor pool) {
        this.pool = pool;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        return new HandedOff<>(next.startCall(call, headers), call, pool);
    }

    /**
     * Passes callbacks on at once until the half-close, and from then on through an executor that runs them
     * one at a time, in order, on the pool ({@link MoreExecutors#newSequentialExecutor}).
     * gRPC delivers the callbacks one at a time on the transport thread, so {@code lane} needs no lock.
     */
    private static final class HandedOff<Q> extends ServerCall.Listener<Q> {
        private final ServerCall.Listener<Q> delegate;
        private final ServerCall<Q, ?> call;
        private final Executor pool;
        private Executor lane;

        HandedOff(ServerCall.Listener<Q> delegate, ServerCall<Q, ?> call, Executor pool) {
            this.delegate = delegate;
            this.call = call;
            this.pool = pool;
        }

        @Override
        public void onMessage(Q message) {
            pass(() -> delegate.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            lane = MoreExecutors.newSequentialExecutor(pool);
            try {
                lane.execute(Context.current().wrap(delegate::onHalfClose));
            } catch (RejectedExecutionException e) {
                log.debug("Call refused, the daemon is shutting down");
                call.close(Status.UNAVAILABLE.withDescription("crio is shutting down"), new Metadata());
            }
        }

        @Override
        public void onCancel() {
            pass(delegate::onCancel);
        }

        @Override
        public void onComplete() {
            pass(delegate::onComplete);
        }

        @Override
        public void onReady() {
            pass(delegate::onReady);
        }

        private void pass(Runnable callback) {
            if (lane == null) {
                callback.run();
                return;
            }
            try {
                lane.execute(Context.current().wrap(callback));
            } catch (RejectedExecutionException e) {
                // the pool is closed: the daemon is stopping, and the call's handler has run or never will
                log.debug("Callback after the call pool closed dropped");
            }
        }
    }
}
