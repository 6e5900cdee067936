package io.crio.daemon.server;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work that can wait until a call has replied, such as the line that logs a finished create: the client
 * waits for the reply, not for the log. The {@link CallInterceptor} runs what a call deferred right after
 * the call's handler has handed its reply to the transport, on the same thread and with the same request
 * id in the logging context. Outside a call (start-up, recovery, tests) the work runs at once.
 */
public final class AfterReply {

    private static final Logger log = LoggerFactory.getLogger(AfterReply.class);
    private static final ThreadLocal<List<Runnable>> PENDING = new ThreadLocal<>();

    private AfterReply() {}

    /** Runs {@code work} once the call running on this thread has replied; at once when there is none. */
    public static void run(Runnable work) {
        List<Runnable> pending = PENDING.get();
        if (pending == null) {
            work.run();
        } else {
            pending.add(work);
        }
    }

    /** Starts collecting the deferred work of the call about to run on this thread; returns what was collected before. */
    static List<Runnable> open() {
        List<Runnable> outer = PENDING.get();
        PENDING.set(new ArrayList<>(2));
        return outer;
    }

    /** Runs the work deferred since {@link #open} and restores {@code outer}. */
    static void close(List<Runnable> outer) {
        List<Runnable> pending = PENDING.get();
        if (outer == null) {
            PENDING.remove();
        } else {
            PENDING.set(outer);
        }
        if (pending == null) {
            return;
        }
        for (Runnable work : pending) {
            try {
                work.run();
            } catch (RuntimeException e) {
                log.warn("Work deferred until after the reply failed: {}", e.toString());
            }
        }
    }
}
