package io.crio.daemon.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crio.daemon.server.CriException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PendingCreationsTest {

    static final class MutableClock extends Clock {
        Instant now = Instant.EPOCH;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aRetryWaitsForTheCreationInFlightAndGetsItsId() throws Exception {
        PendingCreations p = new PendingCreations(Clock.systemUTC());
        PendingCreations.Claim first = p.claim("pod");
        assertTrue(first.mine());
        PendingCreations.Claim retry = p.claim("pod");
        assertFalse(retry.mine());
        CompletableFuture<Optional<String>> waited = CompletableFuture.supplyAsync(
                () -> PendingCreations.await("pod", retry.future(), Duration.ofSeconds(10)));
        p.finish("pod", first.future(), "id1", false);
        assertEquals(Optional.of("id1"), waited.get());
        assertTrue(p.claim("pod").mine(), "the name is free for a new claim once finished");
    }

    @Test
    void aRetryThatOutwaitsItsDeadlineIsTold() {
        PendingCreations p = new PendingCreations(Clock.systemUTC());
        p.claim("pod");
        PendingCreations.Claim retry = p.claim("pod");
        CriException e = assertThrows(CriException.class,
                () -> PendingCreations.await("pod", retry.future(), Duration.ofMillis(20)));
        assertEquals(CriException.Kind.DEADLINE_EXCEEDED, e.kind());
    }

    @Test
    void aFailedCreationLetsTheRetryTryAgain() {
        PendingCreations p = new PendingCreations(Clock.systemUTC());
        PendingCreations.Claim first = p.claim("pod");
        PendingCreations.Claim retry = p.claim("pod");
        p.fail("pod", first.future(), new IllegalStateException("boom"));
        assertEquals(Optional.empty(), PendingCreations.await("pod", retry.future(), Duration.ofSeconds(1)));
    }

    @Test
    void aLateResultIsKeptForOneRetryUntilItExpires() {
        MutableClock clock = new MutableClock();
        PendingCreations p = new PendingCreations(clock);
        PendingCreations.Claim first = p.claim("pod");
        p.finish("pod", first.future(), "id1", true);
        assertEquals(Optional.of("id1"), p.takeLate("pod"));
        assertEquals(Optional.empty(), p.takeLate("pod"));

        PendingCreations.Claim second = p.claim("pod2");
        p.finish("pod2", second.future(), "id2", true);
        clock.now = clock.now.plus(PendingCreations.KEEP).plusSeconds(1);
        assertEquals(Optional.empty(), p.takeLate("pod2"));
    }

    /** A kind of object whose names live in a map; creation can be slowed, failed, or outlive its caller. */
    static final class FakeCreation implements PendingCreations.Creation {
        final java.util.concurrent.ConcurrentHashMap<String, String> names = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.Set<String> created = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final java.util.concurrent.atomic.AtomicInteger creations = new java.util.concurrent.atomic.AtomicInteger();
        final String name;
        volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);
        volatile boolean fail;
        volatile boolean gone;

        FakeCreation(String name) {
            this.name = name;
        }

        @Override
        public boolean exists(String id) {
            return created.contains(id);
        }

        @Override
        public Optional<String> reserve(String id) {
            String holder = names.putIfAbsent(name, id);
            return Optional.ofNullable(holder);
        }

        @Override
        public void release(String id) {
            names.remove(name, id);
        }

        @Override
        public void create(String id) {
            creations.incrementAndGet();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (fail) {
                throw CriException.invalidArgument("failed on purpose");
            }
            created.add(id);
        }

        @Override
        public boolean callerGone(String id) {
            return gone;
        }

        @Override
        public CriException nameTaken(String holder) {
            return new CriException(CriException.Kind.ALREADY_EXISTS, "taken by " + holder);
        }
    }

    @Test
    void createOnceGivesConcurrentAndLateRetriesTheSameObject() throws Exception {
        PendingCreations p = new PendingCreations(Clock.systemUTC());
        FakeCreation c = new FakeCreation("n");
        c.gate = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<String> first = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> first.complete(p.createOnce("thing", "n", () -> Duration.ofSeconds(10), c)));
        while (c.creations.get() == 0) {
            Thread.sleep(1);
        }
        CompletableFuture<String> retry = new CompletableFuture<>();
        Thread retrying = Thread.ofPlatform().start(() -> retry.complete(p.createOnce("thing", "n",
                () -> Duration.ofSeconds(10), c)));
        while (retrying.getState() != Thread.State.TIMED_WAITING) {
            Thread.sleep(1);
        }
        c.gate.countDown();
        assertEquals(first.get(), retry.get());
        assertEquals(1, c.creations.get());

        // a finished, collected creation: the name is taken now
        CriException taken = assertThrows(CriException.class, () -> p.createOnce("thing", "n", () -> Duration.ZERO, c));
        assertEquals(CriException.Kind.ALREADY_EXISTS, taken.kind());

        // one that outlived its caller is handed to the retry
        FakeCreation late = new FakeCreation("m");
        late.gone = true;
        String id = p.createOnce("thing", "m", () -> Duration.ZERO, late);
        late.gone = false;
        assertEquals(id, p.createOnce("thing", "m", () -> Duration.ZERO, late));
        assertEquals(1, late.creations.get());
    }

    @Test
    void aFailedCreationFreesTheNameForTheNextAttempt() {
        PendingCreations p = new PendingCreations(Clock.systemUTC());
        FakeCreation c = new FakeCreation("n");
        c.fail = true;
        assertThrows(CriException.class, () -> p.createOnce("thing", "n", () -> Duration.ZERO, c));
        assertTrue(c.names.isEmpty());
        c.fail = false;
        String id = p.createOnce("thing", "n", () -> Duration.ZERO, c);
        assertEquals(id, c.names.get("n"));
        assertEquals(2, c.creations.get());
    }
}
