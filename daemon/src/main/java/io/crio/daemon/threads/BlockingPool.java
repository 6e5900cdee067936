package io.crio.daemon.threads;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Platform threads for work that blocks in native calls: the daemon waits for conmon and the runtime in
 * {@code poll(2)} and {@code waitpid(2)} and mounts by system calls, all through the FFM API. A virtual
 * thread blocked in a native call keeps its carrier, and there are only as many carriers as CPUs: on a
 * two-CPU node, two such waits (two creates, or two long exec probes) would stall every other call. A
 * thread of this pool is made when none is idle and ends after {@link #KEEP_ALIVE_SECONDS} idle seconds,
 * so an idle daemon holds none.
 */
public final class BlockingPool {

    static final long KEEP_ALIVE_SECONDS = 30;

    private BlockingPool() {}

    /** A pool whose threads are daemon threads named {@code <prefix>-<n>}. */
    public static ExecutorService create(String prefix) {
        AtomicInteger next = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, prefix + "-" + next.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        return new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                new SynchronousQueue<>(), factory);
    }
}
