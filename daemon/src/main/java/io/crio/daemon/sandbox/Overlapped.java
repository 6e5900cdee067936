package io.crio.daemon.sandbox;

import io.crio.daemon.threads.BlockingPool;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;

/**
 * One step of a request run on a thread of its own (a pooled platform thread: steps block in native calls)
 * while the request goes on with other work (for
 * instance a flush to disk while the runtime creates a container); {@link #join} waits for it and returns
 * its result or throws its failure as the step threw it.
 *
 * @param <T> the step's result
 * @param <E> the checked exception the step may throw
 */
public final class Overlapped<T, E extends Exception> {

    /** The work. */
    @FunctionalInterface
    public interface Step<T, E extends Exception> {
        T run() throws E;
    }

    private static final ExecutorService THREADS = BlockingPool.create("overlapped");

    private final FutureTask<T> task;

    private Overlapped(FutureTask<T> task) {
        this.task = task;
    }

    /** Starts {@code step}; its thread is named {@code name} while it runs. */
    public static <T, E extends Exception> Overlapped<T, E> start(String name, Step<T, E> step) {
        FutureTask<T> task = new FutureTask<>(() -> {
            Thread self = Thread.currentThread();
            String pooled = self.getName();
            self.setName(name);
            try {
                return step.run();
            } finally {
                self.setName(pooled);
            }
        });
        THREADS.execute(task);
        return new Overlapped<>(task);
    }

    /**
     * Waits for the step (without giving up when this thread is interrupted: what the step holds must be
     * known before the caller goes on or rolls back) and returns its result.
     *
     * @throws E the step's own exception
     */
    @SuppressWarnings("unchecked")
    public T join() throws E {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (CancellationException e) {
                    throw new IllegalStateException("overlapped step was cancelled", e);
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw (E) cause;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
