package io.crio.daemon.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class OverlappedTest {

    @Test
    void theStepRunsOnItsOwnThreadWhileTheCallerGoesOn() throws Exception {
        CountDownLatch callerWent = new CountDownLatch(1);
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        AtomicReference<String> nameWhileRunning = new AtomicReference<>();
        Overlapped<String, IOException> step = Overlapped.start("test step", () -> {
            ranOn.set(Thread.currentThread());
            nameWhileRunning.set(Thread.currentThread().getName());
            // finishes only once the caller has moved on: a step run inline would dead-lock here
            try {
                if (!callerWent.await(10, TimeUnit.SECONDS)) {
                    throw new IOException("the caller never went on");
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return "done";
        });
        callerWent.countDown();
        assertEquals("done", step.join());
        assertNotSame(Thread.currentThread(), ranOn.get());
        // a platform thread (steps block in native calls), named after the step while it runs
        assertFalse(ranOn.get().isVirtual());
        assertTrue(ranOn.get().isDaemon());
        assertEquals("test step", nameWhileRunning.get());
        assertEquals("done", step.join(), "joining again gives the same result");
    }

    @Test
    void joinThrowsTheStepsOwnException() {
        IOException failure = new IOException("disk full");
        Overlapped<Void, IOException> step = Overlapped.start("failing", () -> {
            throw failure;
        });
        assertSame(failure, assertThrows(IOException.class, step::join));
        IllegalStateException bug = new IllegalStateException("bug");
        Overlapped<Void, IOException> broken = Overlapped.start("broken", () -> {
            throw bug;
        });
        assertSame(bug, assertThrows(IllegalStateException.class, broken::join));
    }

    @Test
    void anInterruptedCallerStillWaitsForTheStepAndKeepsItsInterrupt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Overlapped<Integer, RuntimeException> step = Overlapped.start("slow", () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return 7;
        });
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt();
            int v = step.join();
            outcome.set(Thread.currentThread().isInterrupted() ? v : "interrupt lost");
        });
        Thread.sleep(50);
        assertTrue(caller.isAlive(), "join returned before the step finished");
        release.countDown();
        caller.join(10_000);
        assertEquals(7, outcome.get());
    }
}
