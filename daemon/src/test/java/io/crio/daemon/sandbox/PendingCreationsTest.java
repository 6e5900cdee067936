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
}
