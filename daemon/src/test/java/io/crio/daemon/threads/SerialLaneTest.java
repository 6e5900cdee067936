package io.crio.daemon.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SerialLaneTest {

    final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    @Test
    void runsTasksInOrderOneAtATime() throws Exception {
        SerialLane lane = new SerialLane(pool);
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        int n = 20_000;
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int k = i;
            lane.execute(() -> {
                mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                seen.add(k);
                running.decrementAndGet();
                done.countDown();
            });
        }
        assertTrue(done.await(20, TimeUnit.SECONDS));
        assertEquals(1, mostAtOnce.get(), "never two tasks of one lane at once");
        for (int i = 0; i < n; i++) {
            assertEquals(i, seen.get(i));
        }
    }

    @Test
    void aFailingTaskDoesNotStopTheOnesAfterIt() throws Exception {
        SerialLane lane = new SerialLane(pool);
        CountDownLatch after = new CountDownLatch(1);
        lane.execute(() -> {
            throw new IllegalStateException("expected by the test");
        });
        lane.execute(after::countDown);
        assertTrue(after.await(5, TimeUnit.SECONDS));
    }

    @Test
    void aTaskAddedWhileOneRunsRunsAfterIt() throws Exception {
        SerialLane lane = new SerialLane(pool);
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch both = new CountDownLatch(2);
        lane.execute(() -> {
            first.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            order.add("first");
            both.countDown();
        });
        assertTrue(first.await(5, TimeUnit.SECONDS));
        lane.execute(() -> {
            order.add("second");
            both.countDown();
        });
        release.countDown();
        assertTrue(both.await(5, TimeUnit.SECONDS));
        assertEquals(List.of("first", "second"), order);
    }

    @Test
    void aClosedPoolRefusesAndTheLaneStaysUsable() throws Exception {
        ExecutorService closed = Executors.newSingleThreadExecutor();
        closed.shutdown();
        SerialLane refused = new SerialLane(closed);
        boolean[] ran = {false};
        assertThrows(RejectedExecutionException.class, () -> refused.execute(() -> ran[0] = true));
        assertThrows(RejectedExecutionException.class, () -> refused.execute(() -> ran[0] = true),
                "a refused task does not leave the lane marked as draining");
        assertTrue(!ran[0]);
    }
}
