package io.crio.daemon.threads;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs what it is given one at a time, in order, on threads of a pool: at most one pool thread drains
 * the lane at a time, and tasks added while it runs are run by that same thread before it lets go.
 */
public final class SerialLane implements Executor {

    private static final Logger log = LoggerFactory.getLogger(SerialLane.class);

    private final Executor pool;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    public SerialLane(Executor pool) {
        this.pool = pool;
    }

    /**
     * Queues {@code task}; throws {@link RejectedExecutionException} (and drops it) when the lane was idle
     * and the pool refuses to run it.
     */
    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        schedule(task);
    }

    private void schedule(Runnable added) {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        try {
            pool.execute(this::drain);
        } catch (RejectedExecutionException e) {
            tasks.remove(added);
            draining.set(false);
            throw e;
        }
    }

    private void drain() {
        do {
            try {
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        log.error("Task of a serial lane failed", e);
                    }
                }
            } finally {
                draining.set(false);
            }
            // a task added between the last poll and the reset found the lane draining and was not scheduled
        } while (!tasks.isEmpty() && draining.compareAndSet(false, true));
    }
}
