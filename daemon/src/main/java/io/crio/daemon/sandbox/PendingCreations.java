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

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PendingCreations.class);

    /** How long a result nobody collected stays available to a retry. */
    static final Duration KEEP = Duration.ofMinutes(5);

    private record Late(String id, long expiresAtMillis) {}

    private final ConcurrentHashMap<String, CompletableFuture<String>> inFlight = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Late> late = new ConcurrentHashMap<>();
    private final Clock clock;

    public PendingCreations(Clock clock) {
        this.clock = clock;
    }

    /** What {@link #createOnce} needs from the kind of object it creates. */
    public interface Creation {
        /** Whether an object made by an earlier request (kept aside for a retry) still exists. */
        boolean exists(String id);

        /** Reserves the name for {@code id}; the ID holding it when it is taken. */
        Optional<String> reserve(String id);

        /** Frees the name reserved for {@code id}. */
        void release(String id);

        /** Creates the object under the reserved name; on failure it has undone what it made. */
        void create(String id);

        /** Whether the caller went away while the object was being created. */
        boolean callerGone(String id);

        /** The error for a name that another object holds. */
        CriException nameTaken(String holder);
    }

    /**
     * Creates the object named {@code name} once, whatever kubelet retries: a retry of a request still in
     * flight waits (up to {@code wait}) and gets its ID; a retry of one that finished after its caller gave up
     * gets that ID; a name held by another object is refused with {@link Creation#nameTaken}.
     */
    public String createOnce(String what, String name, java.util.function.Supplier<Duration> wait, Creation creation) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<String> kept = takeLate(name);
            if (kept.isPresent() && creation.exists(kept.get())) {
                log.info("Returning {} {} created for an earlier request for {}", what, kept.get(), name);
                return kept.get();
            }
            Claim claim = claim(name);
            if (!claim.mine()) {
                Optional<String> id = await(name, claim.future(), wait.get());
                if (id.isPresent()) {
                    takeLate(name);
                    log.info("Returning {} {} from a concurrent request for {}", what, id.get(), name);
                    return id.get();
                }
                continue;
            }
            String id = Ids.newId();
            Optional<String> holder = creation.reserve(id);
            if (holder.isPresent()) {
                release(name, claim.future());
                throw creation.nameTaken(holder.get());
            }
            try {
                creation.create(id);
            } catch (RuntimeException e) {
                creation.release(id);
                fail(name, claim.future(), e);
                throw e;
            }
            boolean gone = creation.callerGone(id);
            if (gone) {
                log.warn("{} {} ({}) was created after its caller gave up; kept for a retry", what, id, name);
            }
            finish(name, claim.future(), id, gone);
            return id;
        }
        throw new CriException(CriException.Kind.INTERNAL, "could not reserve the " + what + " name " + name);
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
