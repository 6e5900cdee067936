package io.crio.daemon.sandbox;

import io.crio.daemon.server.CriException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creations by name that a kubelet retry may ask for again, as CRI-O's resource store keeps them: one still
 * in flight (the retry waits for it and gets its ID), or one that finished after its caller had given up
 * (kept aside so the retry gets that ID instead of a name conflict). Kept-aside results expire.
 */
public final class PendingCreations {

    /** How long a result nobody collected stays available to a retry. */
    static final Duration KEEP = Duration.ofMinutes(5);

    private record Late(String id, long expiresAtMillis) {}

    private final ConcurrentHashMap<String, CompletableFuture<String>> inFlight = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Late> late = new ConcurrentHashMap<>();
    private final Clock clock;

    public PendingCreations(Clock clock) {
        this.clock = clock;
    }

    /** A creation of one name: either ours to run ({@code mine}) or one already running elsewhere. */
    public record Claim(CompletableFuture<String> future, boolean mine) {}

    /**
     * Claims the creation of {@code name}: registered before the name itself is reserved, so a retry that
     * finds the name reserved always finds the creation in flight too.
     */
    public Claim claim(String name) {
        CompletableFuture<String> f = new CompletableFuture<>();
        CompletableFuture<String> existing = inFlight.putIfAbsent(name, f);
        return existing == null ? new Claim(f, true) : new Claim(existing, false);
    }

    /** Gives up a claim without a result (the name turned out to be taken). */
    public void release(String name, CompletableFuture<String> f) {
        inFlight.remove(name, f);
        f.cancel(false);
    }

    /** The creation finished; when {@code callerGone}, its ID is kept for a retry. */
    public void finish(String name, CompletableFuture<String> f, String id, boolean callerGone) {
        if (callerGone) {
            late.put(name, new Late(id, clock.millis() + KEEP.toMillis()));
        }
        inFlight.remove(name, f);
        f.complete(id);
    }

    public void fail(String name, CompletableFuture<String> f, Throwable t) {
        inFlight.remove(name, f);
        f.completeExceptionally(t);
    }

    /** A kept-aside ID for {@code name}, removed as it is handed out. */
    public Optional<String> takeLate(String name) {
        late.values().removeIf(l -> l.expiresAtMillis() < clock.millis());
        Late l = late.remove(name);
        return l == null ? Optional.empty() : Optional.of(l.id());
    }

    /** Drops a kept-aside entry (its resource is being removed). */
    public void forget(String name) {
        late.remove(name);
    }

    /**
     * Waits, at most {@code wait}, for a creation running elsewhere. Empty when it failed (the caller may then
     * try again); DEADLINE_EXCEEDED when it is still running after the wait.
     */
    public static Optional<String> await(String name, CompletableFuture<String> f, Duration wait) {
        try {
            return Optional.of(f.get(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            throw new CriException(CriException.Kind.DEADLINE_EXCEEDED,
                    "the creation of " + name + " is still in progress; retry later");
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CriException(CriException.Kind.CANCELLED, "interrupted while waiting for " + name);
        }
    }
}
