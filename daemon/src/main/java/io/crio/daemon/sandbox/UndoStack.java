package io.crio.daemon.sandbox;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a request has done so far, as named undo steps: after each side effect the request pushes how to
 * reverse it; when the request fails, {@link #rollback()} runs the steps in reverse order, logging (not
 * throwing) the ones that fail so every later step still runs.
 */
public final class UndoStack {

    private static final Logger log = LoggerFactory.getLogger(UndoStack.class);

    /** One reversing action. */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private record Named(String name, Step step) {}

    private final Deque<Named> steps = new ArrayDeque<>();

    public void push(String name, Step step) {
        steps.push(new Named(name, step));
    }

    /** Forgets every step: the request succeeded. */
    public void commit() {
        steps.clear();
    }

    /** Runs every step, newest first; returns how many failed. */
    public int rollback() {
        int failed = 0;
        while (!steps.isEmpty()) {
            Named n = steps.pop();
            try {
                n.step().run();
                log.debug("Rolled back: {}", n.name());
            } catch (Exception e) {
                failed++;
                log.warn("Rollback step failed: {}: {}", n.name(), e.getMessage());
            }
        }
        return failed;
    }
}
